# expect: `read` is both a role and a permission of `Document`
# at 6:18 `read` is already a role of `Document`
actor User {}
resource Document {
  roles = ["read", "editor"];
  permissions = ["read", "write"];
  "write" if "editor";
}
