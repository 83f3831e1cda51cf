# expect: unknown role or permission `reeder` in a shorthand rule of `Repository`
# at 7:13 `reeder` is neither a role nor a permission of `Repository` (did you mean `reader`?)
actor User {}
resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read", "push"];
  "read" if "reeder";
  "push" if "maintainer";
}
