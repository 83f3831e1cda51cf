# expect: `@current_unix_time` inside an atom
# at 8:52 `@current_unix_time` may appear only in a comparison; bind `t` and compare `t = @current_unix_time`
actor Doctor {}
resource Patient {}

declare visit(Doctor, Patient, Integer);

visiting_now(d: Doctor, p: Patient) if visit(d, p, @current_unix_time);
