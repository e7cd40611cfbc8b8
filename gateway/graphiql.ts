/** What GraphiQL shows on first open: a tour of the API that works for anonymous visitors too. */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to ChitLaq Graph.
#
# 1. Run "Register" (or "Login") below, copy the token from the result,
# 2. open the Headers tab and add {"Authorization": "Bearer <token>"},
# 3. then run "Me" and explore: the docs panel lists every type and field.

mutation Register {
  register(input: {
    email: "ada@example.edu"
    username: "ada"
    password: "correct horse battery"
    displayName: "Ada Lovelace"
    university: "University of London"
  }) {
    token
    user { id username displayName }
  }
}

mutation Login {
  login(email: "ada@example.edu", password: "correct horse battery") {
    token
    user { id username }
  }
}

query Me {
  me {
    username
    email
    followersCount
    following(first: 5) { nodes { username displayName university } }
  }
}

query SearchUsers {
  searchUsers(query: "a", first: 10) {
    nodes { username displayName university followersCount }
    pageInfo { hasNextPage endCursor }
  }
}
`;
