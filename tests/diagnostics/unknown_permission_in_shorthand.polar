# expect: unknown permission `delete` in a shorthand rule head of `Repository`
# at 8:3 `delete` is neither a role nor a permission of `Repository`; add it to `permissions`
actor User {}
resource Repository {
  roles = ["reader", "admin"];
  permissions = ["read", "push"];
  "read" if "reader";
  "delete" if "admin";
}
