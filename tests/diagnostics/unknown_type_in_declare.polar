# expect: unknown entity type `Usr` in a declare
# at 6:17 `Usr` is not declared by an `actor` or `resource` block (did you mean `User`?)
actor User {}
resource Review {}

declare manager(Usr, User);
