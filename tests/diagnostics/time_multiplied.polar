# expect: `@current_unix_time` in a disallowed form: `@current_unix_time * 2`
# at 8:53 `@current_unix_time` may only be compared with a variable or a variable ± a constant
actor Doctor {}
resource Patient {}

declare visit(Doctor, Patient, Integer);

recent(d: Doctor, p: Patient) if visit(d, p, t) and @current_unix_time * 2 > t;
