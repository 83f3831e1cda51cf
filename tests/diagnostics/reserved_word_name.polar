# expect: reserved word `or` used as a predicate name
# at 5:9 `or` is a reserved word (reserved: if and or not true false)
actor User {}

declare or(User, User);
