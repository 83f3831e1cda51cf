# expect: unknown relation `org` in a shorthand rule of `Repository`
# at 10:27 `org` is not a relation of `Repository` (did you mean `organization`?)
actor User {}
resource Organization {
  roles = ["member"];
}
resource Repository {
  roles = ["reader"];
  relations = { organization: Organization };
  "reader" if "member" on "org";
}
