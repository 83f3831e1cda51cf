# expect: `owner` is not a role or permission of `Organization`, the type of relation `organization`
# at 10:15 `owner` is neither a role nor a permission of `Organization`
actor User {}
resource Organization {
  roles = ["member"];
}
resource Repository {
  roles = ["reader"];
  relations = { organization: Organization };
  "reader" if "owner" on "organization";
}
