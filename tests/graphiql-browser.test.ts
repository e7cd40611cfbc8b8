import type { BrowserContext } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  type Chromium,
  GraphiQLPage,
  type LoopbackOnlyPage,
  launchChromium,
  missingChromium,
  openLoopbackOnlyPage,
  saveScreenshot,
} from './support/browser.js';
import { registerUser, type TestUser } from './support/graphql.js';
import { sendMessage, startConversation } from './support/messages.js';
import { usePlatform } from './support/platform.js';

/**
 * GraphiQL in headless Chromium with everything beyond 127.0.0.1 blocked: the page works
 * offline, shows the ChitLaq tabs, and a token typed into its Headers tab signs in a query and
 * the messageAdded subscription, over graphql-ws and over SSE.
 */
const missing = missingChromium();

/**
 * The page carries ~9 MB of script: on this 2-core machine, busy with other work, Chromium
 * took 10-17 s to parse it and GraphiQL 2-4 s more to start (idle: a few seconds).
 */
const PAGE_LOAD_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

it.runIf(missing !== undefined)('needs Chromium', ({ skip }) => {
  // CI installs it (.ci/run); a developer's machine may not have it.
  if (process.env.CI === 'true') throw new Error(missing);
  // The default reporter does not print a skip's note.
  console.warn(`tests/graphiql-browser.test.ts skipped. ${missing}`);
  skip(missing);
});

describe.runIf(missing === undefined)('GraphiQL in a browser', () => {
  const platform = usePlatform();
  let chromium: Chromium;
  let viewer: TestUser;
  let sender: TestUser;
  let conversationId: string;
  /** The page as seen from the browser: 127.0.0.1, the address the gateway listens on. */
  let graphiqlUrl: string;

  beforeAll(async () => {
    chromium = await launchChromium();
    graphiqlUrl = platform.gatewayUrl.replace('//localhost:', '//127.0.0.1:');
    [viewer, sender] = await Promise.all([registerUser(platform.gatewayUrl), registerUser(platform.gatewayUrl)]);
    conversationId = (await startConversation(platform.gatewayUrl, sender, [viewer])).id;
    platform.announceDemoLogin({ email: viewer.email, password: viewer.password });
    // The gateway renders and compresses a page on its first request; both pages are done
    // here, at once, rather than one by one while a test waits.
    await Promise.all([renderPage(''), renderPage('?subscriptionsProtocol=SSE')]);
  });

  async function renderPage(query: string): Promise<void> {
    const response = await fetch(`${graphiqlUrl}${query}`, { headers: { accept: 'text/html', 'accept-encoding': 'br' } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }

  afterAll(async () => {
    await chromium?.close();
  });

  /**
   * Opens GraphiQL in a fresh browser context (no tabs or headers kept from another run).
   * `run` names its screenshots: tests/artifacts/graphiql-<run>-<step>.png.
   */
  async function openGraphiQL(
    run: 'ws' | 'sse',
    query = '',
  ): Promise<{ graphiql: GraphiQLPage; loopback: LoopbackOnlyPage; context: BrowserContext }> {
    const context = await chromium.browser.createBrowserContext();
    const loopback = await openLoopbackOnlyPage(context);
    await loopback.page.goto(`${graphiqlUrl}${query}`, { waitUntil: 'domcontentloaded', timeout: PAGE_LOAD_TIMEOUT_MS });
    // What the page showed when a step failed, next to the steps' screenshots.
    onTestFailed(async () => {
      await saveScreenshot(loopback.page, `graphiql-${run}-failed`).catch(() => undefined);
    });
    const graphiql = new GraphiQLPage(loopback.page);
    await graphiql.ready();
    return { graphiql, loopback, context };
  }

  /**
   * Runs MessageAdded with the token in the Headers tab, resuming after `seen`: the pane first
   * shows the replayed `missed`, which proves the subscription is live, then `live`, sent now.
   */
  async function subscribeAndReceive(graphiql: GraphiQLPage, run: 'ws' | 'sse'): Promise<void> {
    const seen = await sendMessage(platform.gatewayUrl, sender, conversationId, `seen before the ${run} run`);
    const missed = await sendMessage(platform.gatewayUrl, sender, conversationId, `missed before the ${run} run`);
    await graphiql.selectTab('MessageAdded');
    await graphiql.fill('Headers', { Authorization: `Bearer ${viewer.token}` });
    await graphiql.fill('Variables', { conversationId, after: seen.id });
    await graphiql.run();
    await graphiql.waitForResult(missed.body);
    const live = await sendMessage(platform.gatewayUrl, sender, conversationId, `live in the ${run} run`);
    await graphiql.waitForResult(live.body);
    expect(await graphiql.resultText()).toContain(sender.username);
    await saveScreenshot(graphiql.page, `graphiql-${run}-message-added`);
  }

  it('over graphql-ws: offline, the ChitLaq tabs with the demo login, a query and a subscription signed in by the Headers tab', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { graphiql, loopback, context } = await openGraphiQL('ws');
    await saveScreenshot(graphiql.page, 'graphiql-ws-opened');
    expect(await graphiql.tabTitles()).toEqual(['Register', 'Login', 'Me', 'Feed', 'SendMessage', 'MessageAdded']);

    // The announced demo login is in the Login tab, and running it signs that account in.
    await graphiql.selectTab('Login');
    expect(await graphiql.queryText()).toContain(`email: "${viewer.email}"`);
    await graphiql.run();
    await graphiql.waitForResult(`"username": "${viewer.username}"`);
    await saveScreenshot(graphiql.page, 'graphiql-ws-login');

    await graphiql.selectTab('Me');
    await graphiql.fill('Headers', { Authorization: `Bearer ${viewer.token}` });
    await graphiql.run();
    await graphiql.waitForResult(`"username": "${viewer.username}"`);
    expect(await graphiql.resultText()).toContain(`"email": "${viewer.email}"`);
    await saveScreenshot(graphiql.page, 'graphiql-ws-me');

    await subscribeAndReceive(graphiql, 'ws');
    expect(loopback.webSockets).toEqual([graphiqlUrl.replace('http:', 'ws:')]);
    expect(loopback.offLoopback()).toEqual([]);
    await context.close();
  });

  it('over SSE (?subscriptionsProtocol=SSE): the subscription is a GET the CSRF rule lets through, signed in by the Headers tab', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { graphiql, loopback, context } = await openGraphiQL('sse', '?subscriptionsProtocol=SSE');
    await saveScreenshot(graphiql.page, 'graphiql-sse-opened');
    await subscribeAndReceive(graphiql, 'sse');

    const streams = loopback.requests.filter((request) => request.headers.accept === 'text/event-stream');
    expect(streams.map((request) => request.method)).toEqual(['GET']);
    expect(streams[0]?.headers).toMatchObject({
      authorization: `Bearer ${viewer.token}`,
      'x-graphql-csrf': 'graphiql',
    });
    expect(loopback.webSockets).toEqual([]);
    expect(loopback.offLoopback()).toEqual([]);
    await context.close();
  });
});
