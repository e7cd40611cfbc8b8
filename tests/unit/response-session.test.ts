import { describe, expect, it } from 'vitest';
import { responseSession, VIEWER_HOLES_SESSION } from '../../gateway/response-cache/cache-key.js';

describe('the session a response is stored under', () => {
  const viewer = { id: 'u1' };

  it('is nobody’s for a public document, whoever asks', () => {
    expect(responseSession({ perViewer: false, sharesViewerHoles: false }, viewer)).toBeUndefined();
    expect(responseSession({ perViewer: false, sharesViewerHoles: false }, null)).toBeUndefined();
  });

  it('is the viewer’s own for a per-viewer document without holes', () => {
    expect(responseSession({ perViewer: true, sharesViewerHoles: false }, viewer)).toBe('viewer:u1');
    expect(responseSession({ perViewer: true, sharesViewerHoles: false }, { id: 'u2' })).toBe('viewer:u2');
  });

  it('is shared by signed-in viewers where the holes are filled per request, and by anonymous requests apart', () => {
    expect(responseSession({ perViewer: true, sharesViewerHoles: true }, viewer)).toBe(VIEWER_HOLES_SESSION);
    expect(responseSession({ perViewer: true, sharesViewerHoles: true }, null)).toBe('viewer:anonymous');
    expect(responseSession({ perViewer: true, sharesViewerHoles: false }, null)).toBe('viewer:anonymous');
  });
});
