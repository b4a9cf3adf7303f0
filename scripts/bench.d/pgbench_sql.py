#!/usr/bin/env python3
"""Writes the pgbench scripts that run, on PostgreSQL alone, the SQL the
server runs for an operation: the statements are read out of
src/orders/orders_private.h and src/orders/create.c at run time, so the baseline follows the code.

usage: pgbench_sql.py ROOT OUTDIR

  create.sql  the registration: the one statement (create_order_sql) that
              resolves the district and street, advances the counter,
              inserts the order and its event and reads the order back
  read.sql    one order, as GET /api/v1/orders/{number} reads it (picked by
              id here: pgbench cannot draw from a list of numbers)
  list.sql    the first page of the list, as GET /api/v1/orders?limit=50

pgbench variables (-D): uid, category, and maxid/minid for the order
picked by read.sql (district and street, ids, are accepted and unused: the
statement takes the codes, D03 and D03-S01 here, as the server does).
"""
import re
import sys


def c_string_defs(text):
    """The string-literal #defines and static const char arrays of a C file."""
    defs = {}
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'#define (\w+)(\((\w+)\))?\s*(.*)', line)
        s = re.match(r'static const char (\w+)\[\] =\s*$', line)
        if m:
            name, param = m.group(1), m.group(3)
            body = [m.group(4)]
            while body[-1].rstrip().endswith('\\'):
                i += 1
                body.append(lines[i])
            defs[name] = (param, ' '.join(b.rstrip().rstrip('\\') for b in body))
        elif s:
            name = s.group(1)
            body = []
            while True:
                i += 1
                body.append(lines[i])
                if lines[i].rstrip().endswith(';'):
                    break
            defs[name] = (None, ' '.join(body).rstrip().rstrip(';'))
        i += 1
    return defs


def expand(defs, expr, arg=None, param=None):
    """Concatenates literals and macro uses, as the C compiler would."""
    out = []
    for tok in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\w+)\s*(\((\w+)\))?|#\s*(\w+)', expr):
        if tok.group(1) is not None:
            out.append(bytes(tok.group(1), 'utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8'))
        elif tok.group(5):
            out.append(arg if tok.group(5) == param else tok.group(5))
        elif tok.group(2) in defs:
            p, body = defs[tok.group(2)]
            out.append(expand(defs, body, tok.group(4), p))
    return ''.join(out)


def main():
    root, outdir = sys.argv[1], sys.argv[2]
    # The columns and the visibility test live in the module's private
    # header, the registration statement beside its code.
    sources = ('/src/orders/orders_private.h', '/src/orders/create.c')
    defs = c_string_defs(''.join(open(root + s, encoding='utf-8').read() for s in sources))
    cols = expand(defs, 'ORDER_COLUMNS ORDER_JOINS')
    visible = expand(defs, 'VISIBLE_SQL(1)').replace('$1', 'NULL')
    create = expand(defs, 'create_order_sql')
    for name in ('ORDER_COLUMNS', 'ORDER_JOINS', 'VISIBLE_SQL', 'create_order_sql'):
        if name not in defs:
            sys.exit('pgbench_sql.py: %s not found in %s' % (name, ' or '.join(s[1:] for s in sources)))
    # The registration, with the values an agent's request carries.
    # $1-$17 the order's fields, $18 the actor's role, $19 the actor's department,
    # $20 the moment of a replayed registration (NULL: now).
    values = ["'phone'", "'complaint'", "'normal'", ':category', "'张先生'",
              "'138' || lpad((:c % 100000000)::text, 8, '0')", 'false',
              "'朝阳区建国路' || (:c % 300 + 1) || '号'", "'D03'", "'D03-S01'", 'NULL', 'NULL',
              "'市民来电反映：建国路' || (:c % 300 + 1) || '号附近道路破损，已持续一周，请尽快修复。(' || :c || ')'",
              "'请相关部门尽快处理'", 'NULL', ':uid', 'NULL', "'agent'", 'NULL', 'NULL']
    for i in range(len(values), 0, -1):
        create = re.sub(r'\$%d(?!\d)' % i, values[i - 1].replace('\\', '\\\\'), create)
    if re.search(r'\$\d', create):
        sys.exit('pgbench_sql.py: create_order_sql has parameters this script does not fill')
    with open(outdir + '/create.sql', 'w', encoding='utf-8') as f:
        f.write('\\set c random(1, 1000000000)\n%s;\n' % create)
    with open(outdir + '/read.sql', 'w', encoding='utf-8') as f:
        f.write('\\set id random(:minid, :maxid)\nSELECT %s WHERE o.id = :id AND %s;\n'
                % (cols, visible))
    with open(outdir + '/list.sql', 'w', encoding='utf-8') as f:
        f.write('SELECT %s WHERE %s ORDER BY o.id DESC LIMIT 51;\n' % (cols, visible))


if __name__ == '__main__':
    main()
