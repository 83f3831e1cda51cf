# expect: three syntax errors, each reported; parsing recovers at `;` and goes on
# at 12:42 unexpected `;`, expected `)` or `,`
# at 14:48 unexpected `and`, expected a term or an atom
# at 16:18 unexpected `;`, expected a body
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

# a missing closing parenthesis
manages(m: User, e: User) if manager(m, e;
# `and` twice
manages(m: User, e: User) if manager(m, x) and and manages(x, e);
# nothing after `if`
boss(m: User) if ;
# a valid rule after the errors
has_permission(e: User, "read", r: Review) if review_of(r, e);
