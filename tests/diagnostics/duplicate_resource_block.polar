# expect: duplicate resource block `Review`
# at 9:10 `Review` already has a resource block above
actor User {}

resource Review {
  permissions = ["read"];
}

resource Review {
  permissions = ["comment"];
}
