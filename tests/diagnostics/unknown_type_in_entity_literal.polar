# expect: unknown entity type `Employee` in an entity literal
# at 9:38 `Employee` is not declared by an `actor` or `resource` block
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

reports_to_board(m: User) if manager(Employee{"board"}, m);
