# Canonical output: ids and strings with quotes, backslashes, control
# characters and non-ASCII text, read with JSON escapes and printed with
# minimal escaping, then sorted by the bytes of the printed lines.

actor User {}
resource Doc {}

declare owns(User, Doc);
declare note(Doc, String);

# an owner reads their document
allow(u: User, "read", d: Doc) if owns(u, d);
