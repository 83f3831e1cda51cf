# expect: unterminated string literal
# at 8:25 the string opened here is not closed before the end of the line
actor User {}
resource Review {}

declare review_of(Review, User);

has_permission(e: User, "read, r: Review) if review_of(r, e);
