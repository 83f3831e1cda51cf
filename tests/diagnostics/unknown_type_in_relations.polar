# expect: unknown entity type `Org` in a `relations` map
# at 9:31 `Org` is not declared by an `actor` or `resource` block (did you mean `Organization`?)
actor User {}
resource Organization {
  roles = ["member"];
}
resource Repository {
  roles = ["reader"];
  relations = { organization: Org };
  "reader" if "member" on "organization";
}
