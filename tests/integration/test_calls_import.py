"""Call-record import: `hotline import-calls` and POST /api/v1/calls/import.

The fixtures in tests/fixtures/calls carry every quirk of the three formats
(quoted names with doubled quotes, a field with an embedded newline, BOM and
CRLF, missing optional columns, Asterisk 13 sequences, bad times, numbers and
dispositions, a truncated last line). Each test imports a private copy whose
call ids and dates are rewritten with a random prefix and year, so that the
tests can count what they import on a database used before, and run together.
"""
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, ROOT, ServerTestCase, TEST_DB, psql, run_hotline
from orders_fixture import add_user, create_token

FIXTURES = os.path.join(ROOT, 'tests', 'fixtures', 'calls')
GENERATE = os.path.join(FIXTURES, 'generate_calls.py')


def private_copies(tmpdir, *names):
    """Copies fixtures into `tmpdir`, moving their calls to a random year and
    call-id prefix (consistently across the files, so queue_log still joins
    its CDRs). Returns (paths, ids) with ids.prefix, ids.year, ids.uuid_head."""
    prefix = '2%04d' % random.randrange(10000)          # replaces 17952…
    year = str(random.randrange(2040, 2100))            # replaces 2026
    month = '%02d' % random.randrange(1, 13)           # replaces 11
    uuid_head = '%08x' % random.getrandbits(32)         # FreeSWITCH uuids
    paths = []
    for name in names:
        with open(os.path.join(FIXTURES, name), 'rb') as f:
            data = f.read()
        data = data.replace(b'17952', prefix.encode())
        data = data.replace(b'2026-11-', ('%s-%s-' % (year, month)).encode())
        data = re.sub(rb'"[0-9a-f]{8}-([0-9a-f]{4}-4)', lambda m: b'"' + uuid_head.encode()
                      + b'-' + m.group(1), data)
        path = os.path.join(tmpdir, name)
        with open(path, 'wb') as f:
            f.write(data)
        paths.append(path)
    return paths, Ids(prefix, year, uuid_head)


class Ids:
    def __init__(self, prefix, year, uuid_head):
        self.prefix, self.year, self.uuid_head = prefix, year, uuid_head


def summary(out):
    """The numbers of the summary line: (imported, duplicates, rejected, format)."""
    m = re.search(r'imported (\d+), duplicates (\d+), rejected (\d+) \(([a-z-]+),', out)
    if not m:
        raise AssertionError('no summary line in %r' % out)
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)


def rollups_match_calls(test):
    """The hourly rollups equal the figures recomputed from the call summaries
    (the invariant every import batch and event keeps)."""
    rows = psql("""
        WITH r AS (SELECT bucket, dialled, queue, offered, answered, abandoned, short_abandoned,
                          answered_15s, wait_sum, wait_n, talk_sum, talk_n
                   FROM call_hour WHERE offered <> 0 OR answered <> 0 OR abandoned <> 0),
             c AS (SELECT date_trunc('hour', call_at(c)) AS bucket, coalesce(dialled, '') AS dialled,
                          coalesce(queue, '') AS queue, count(*) AS offered,
                          count(*) FILTER (WHERE call_answered(c)) AS answered,
                          count(*) FILTER (WHERE call_abandoned(c)) AS abandoned,
                          count(*) FILTER (WHERE call_abandoned(c) AND call_wait(c) <= 5) AS short_abandoned,
                          count(*) FILTER (WHERE call_answered(c) AND call_wait(c) <= 15) AS answered_15s,
                          coalesce(sum(call_wait(c)) FILTER (WHERE call_answered(c)), 0) AS wait_sum,
                          count(call_wait(c)) FILTER (WHERE call_answered(c)) AS wait_n,
                          coalesce(sum(call_talk(c)) FILTER (WHERE call_answered(c)), 0) AS talk_sum,
                          count(call_talk(c)) FILTER (WHERE call_answered(c)) AS talk_n
                   FROM call_summaries() c WHERE call_offered(c) GROUP BY 1, 2, 3)
        SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM c
                              UNION ALL SELECT * FROM c EXCEPT SELECT * FROM r) d""")
    test.assertEqual(rows[0][0], '0', 'call_hour differs from the calls it counts')


def callers_match_alone_records(test):
    """call_alone_caller holds a row for every alone record with a caller
    phone and for nothing else: the fast path writes both, an adoption
    removes both (migrations/0009_call_alone_caller.sql)."""
    rows = psql("""
        WITH a AS (SELECT caller_phone AS phone, key FROM call_record
                   WHERE alone AND caller_phone IS NOT NULL),
             f AS (SELECT phone, key FROM call_alone_caller)
        SELECT (SELECT count(*) FROM a), count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM f
                              UNION ALL SELECT * FROM f EXCEPT ALL SELECT * FROM a) d""")
    test.assertNotEqual(rows[0][0], '0', 'no alone record with a phone to compare')
    test.assertEqual(rows[0][1], '0', 'call_alone_caller differs from the alone records')


class ImportCommand(unittest.TestCase):
    """hotline import-calls on the fixtures."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='hotline-calls-')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def import_calls(self, *args, **kw):
        out = run_hotline('import-calls', *args, **kw)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def test_rejects_are_reported_with_file_line_and_reason(self):
        (path,), _ = private_copies(self.tmp, 'asterisk_master.csv')
        out = self.import_calls(path)
        self.assertEqual(summary(out.stdout), (7, 0, 5, 'asterisk-cdr'))
        self.assertIn('rejects in %s.rejects' % path, out.stdout)
        expected = [
            (8, 'start', 'field "start": invalid time'),
            (9, 'disposition', 'field "disposition": unknown disposition "MAYBE"'),
            (10, '', 'expected 16 to 21 fields for asterisk-csv, found 4'),
            (13, 'billsec', 'field "billsec": invalid number "-5"'),
            (14, '', 'truncated record'),
        ]
        for line, _, reason in expected:
            self.assertIn('%s: line %d: %s' % (path, line, reason), out.stderr)
        with open(path + '.rejects', encoding='utf-8') as f:
            rows = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#')]
        self.assertEqual([(int(r[0]), r[1]) for r in rows], [(l, f) for l, f, _ in expected])
        for row, (_, _, reason) in zip(rows, expected):
            self.assertTrue(row[2].startswith(reason), row)
        # the text of the rejected line, to fix and import again
        self.assertTrue(rows[0][3].startswith('"","13600003333","12345"'), rows[0])
        self.assertTrue(rows[2][3].startswith('"","13500004444","12345","from-trunk"'), rows[2])

    def test_second_import_of_a_file_adds_nothing(self):
        (path,), ids = private_copies(self.tmp, 'asterisk_master.csv')
        prefix, year = ids.prefix, ids.year
        self.assertEqual(summary(self.import_calls(path).stdout)[:3], (7, 0, 5))
        before = psql("SELECT count(*), (SELECT sum(offered) FROM call_hour"
                      " WHERE bucket >= '%s-01-01' AND bucket < '%d-01-01') FROM call_record"
                      " WHERE call_id LIKE '%s%%'" % (year, int(year) + 1, prefix))
        self.assertEqual(before[0][0], '7')
        self.assertEqual(summary(self.import_calls(path).stdout)[:3], (0, 7, 5))
        after = psql("SELECT count(*), (SELECT sum(offered) FROM call_hour"
                     " WHERE bucket >= '%s-01-01' AND bucket < '%d-01-01') FROM call_record"
                     " WHERE call_id LIKE '%s%%'" % (year, int(year) + 1, prefix))
        self.assertEqual(after, before)
        rollups_match_calls(self)

    def test_a_line_twice_in_one_file_is_one_duplicate(self):
        # asterisk_short.csv: 16 columns (no uniqueid), the first line repeated
        # once verbatim and once with the numbers quoted.
        (path,), _ = private_copies(self.tmp, 'asterisk_short.csv')
        self.assertEqual(summary(self.import_calls(path).stdout), (3, 2, 0, 'asterisk-cdr'))

    def test_every_format_is_detected_and_imported(self):
        paths, ids = private_copies(self.tmp, 'freeswitch_master.csv', 'queue_log',
                                          'asterisk_v13.csv', 'asterisk_stray_quote.csv')
        prefix = ids.prefix
        out = self.import_calls(*paths)
        lines = out.stdout.splitlines()
        self.assertEqual(summary(lines[0]), (7, 0, 3, 'freeswitch-cdr'))
        self.assertEqual(summary(lines[1]), (17, 0, 4, 'asterisk-queue-log'))
        self.assertEqual(summary(lines[2]), (4, 0, 0, 'asterisk-cdr'))
        self.assertEqual(summary(lines[3]), (3, 0, 1, 'asterisk-cdr'))
        # Asterisk 13: one call, two CDRs (sequence 112 and 113), one call summary
        keys = psql("SELECT key FROM call_record WHERE call_id = '%s40800.49' ORDER BY key" % prefix)
        self.assertEqual([k[0] for k in keys], ['%s40800.49#112' % prefix, '%s40800.49#113' % prefix])
        call = psql("SELECT call_answered(c), call_wait(c), call_talk(c) FROM call_summary('%s40800.49') c" % prefix)
        self.assertEqual(call, [['t', '20', '380']])

    def test_the_records_of_a_call_in_two_batches_make_one_call(self):
        # Asterisk 13: the call's two CDRs one batch apart. The first is
        # stored alone (its own summary); the second adopts it into one.
        (path,), ids = private_copies(self.tmp, 'asterisk_v13.csv')
        self.assertEqual(summary(self.import_calls('--batch', '1', path).stdout)[:3], (4, 0, 0))
        call = psql("SELECT count(*), min(cdr_rows), bool_and(call_answered(c)), min(call_wait(c)),"
                    " min(call_talk(c)) FROM call_summary('%s40800.49') c" % ids.prefix)
        self.assertEqual(call, [['1', '2', 't', '20', '380']])
        self.assertEqual(psql("SELECT bool_or(alone) FROM call_record WHERE call_id = '%s40800.49'"
                              % ids.prefix), [['f']])
        rollups_match_calls(self)
        callers_match_alone_records(self)

    def test_queue_log_defines_the_queue_part_of_a_call_with_a_cdr(self):
        paths, ids = private_copies(self.tmp, 'asterisk_master.csv', 'queue_log')
        prefix = ids.prefix
        self.import_calls(paths[0])
        call = "'%s24665.1022'" % prefix
        # CDR only: dialled 12345, no queue, abandoned after 35 s of ringing
        self.assertEqual(psql("SELECT dialled, coalesce(queue, '-'), call_abandoned(c), call_wait(c)"
                              " FROM call_summary(%s) c" % call),
                         [['12345', '-', 't', '35']])
        self.import_calls(paths[1])
        # with the queue_log: the queue and its ABANDON (waittime 35) define it
        self.assertEqual(psql("SELECT dialled, queue, call_offered(c), call_abandoned(c),"
                              " call_wait(c), cdr_rows, q_events FROM call_summary(%s) c" % call),
                         [['12345', 'hotline', 't', 't', '35', '1', '2']])
        # a queue call without CDR: offered from ENTERQUEUE, answered at CONNECT
        self.assertEqual(psql("SELECT call_offered(c), call_answered(c), call_wait(c), call_talk(c),"
                              " q_agent FROM call_summary('%s24590.1020') c" % prefix),
                         [['t', 't', '17', '275', '8002']])
        rollups_match_calls(self)

    def test_outbound_ivr_and_other_numbers_are_stored_but_not_offered(self):
        paths, ids = private_copies(self.tmp, 'asterisk_master.csv', 'freeswitch_master.csv')
        prefix = ids.prefix
        self.import_calls(*paths)
        callback_id = ids.uuid_head + '-8b9c-4d0e-9f1a-3b4c5d6e7f8a'
        kinds = dict(psql("SELECT call_id, kind FROM call_record WHERE call_id LIKE '%s%%'"
                          " OR call_id = '%s'" % (prefix, callback_id)))
        self.assertEqual(kinds['%s26100.1028' % prefix], 'ivr')       # hung up in the menu
        self.assertEqual(kinds['%s24910.1023' % prefix], 'other')     # dialled 12315
        self.assertEqual(kinds[callback_id], 'outbound')              # 8001 calling out
        offered = dict(psql("SELECT call_id, call_offered(c) FROM call_summaries() c WHERE call_id IN"
                            " ('%s26100.1028', '%s24910.1023')" % (prefix, prefix)))
        self.assertEqual(set(offered.values()), {'f'})

    def test_small_batches_give_the_same_rollups(self):
        prefix = '3%04d' % random.randrange(10000)
        path = os.path.join(self.tmp, 'gen.csv')
        qpath = os.path.join(self.tmp, 'gen.queue_log')
        subprocess.run(['python3', GENERATE, '--records', '300', '--id-prefix', prefix,
                        '--start', '%d-02-01T00:00:00' % random.randrange(2040, 2100),
                        '--seed', str(random.randrange(1 << 30)), '--queue-log', qpath, path],
                       check=True)
        out = self.import_calls('--batch', '7', path, qpath)
        lines = out.stdout.splitlines()
        self.assertEqual(summary(lines[0])[:3], (300, 0, 0))
        self.assertEqual(summary(lines[1])[2], 0)
        rollups_match_calls(self)
        # the same in one batch: nothing new
        out = self.import_calls(path)
        self.assertEqual(summary(out.stdout)[:3], (0, 300, 0))

    def generated(self, records, queue_log=True):
        """A generated Master.csv (and queue_log) of `records` CDRs in a
        random year with a random call-id prefix: (cdr path, queue_log path)."""
        prefix = '4%04d' % random.randrange(10000)
        path = os.path.join(self.tmp, 'gen.csv')
        qpath = os.path.join(self.tmp, 'gen.queue_log')
        subprocess.run(['python3', GENERATE, '--records', str(records), '--id-prefix', prefix,
                        '--start', '%d-03-01T00:00:00' % random.randrange(2040, 2100),
                        '--rate-per-hour', '2000', '--seed', str(random.randrange(1 << 30)),
                        *(['--queue-log', qpath] if queue_log else []), path], check=True)
        return path, qpath

    def test_big_batches_are_stored_in_lanes_and_give_the_same_calls(self):
        # Batches of 5,000 records are stored in two lanes at once (import.c:
        # LANES_AT_ONCE_MIN), each on its own connection; the calls whose
        # legs fall into two batches still make one call each.
        path, qpath = self.generated(12000)
        out = self.import_calls('--batch', '5000', path, qpath)
        lines = out.stdout.splitlines()
        self.assertEqual(summary(lines[0])[:3], (12000, 0, 0))
        self.assertEqual(summary(lines[1])[1:3], (0, 0))
        rollups_match_calls(self)
        both = psql("SELECT count(*) FROM call_record r WHERE r.alone"
                    " AND EXISTS (SELECT FROM call c WHERE c.call_id = call_record_cid(r))")
        self.assertEqual(both, [['0']], 'a call with both a summary row and an alone record')
        callers_match_alone_records(self)
        out = self.import_calls('--batch', '5000', path)
        self.assertEqual(summary(out.stdout)[:3], (0, 12000, 0))

    def test_two_imports_of_the_same_file_at_once_store_it_once(self):
        # Two imports take turns lane by lane: neither deadlocks, and each
        # record is stored by exactly one of them.
        path, _ = self.generated(10000, queue_log=False)
        env = dict(os.environ, HOTLINE_DB=TEST_DB)
        runs = [subprocess.Popen([BIN, 'import-calls', '--batch', '4500', path], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        results = [r.communicate(timeout=120) for r in runs]
        for r, (stdout, stderr) in zip(runs, results):
            self.assertEqual(r.returncode, 0, stderr)
        counts = [summary(stdout) for stdout, _ in results]
        self.assertEqual(counts[0][0] + counts[1][0], 10000)
        self.assertEqual(counts[0][1] + counts[1][1], 10000)
        rollups_match_calls(self)

    def test_stdin_is_read_with_a_dash(self):
        (path,), _ = private_copies(self.tmp, 'asterisk_v13.csv')
        with open(path, encoding='utf-8') as f:
            out = self.import_calls('--format', 'asterisk-cdr', '-', input=f.read())
        self.assertEqual(summary(out.stdout), (4, 0, 0, 'asterisk-cdr'))

    def test_a_file_that_is_not_call_records_fails(self):
        path = os.path.join(self.tmp, 'notes.txt')
        with open(path, 'w') as f:
            f.write('hello, this is not a CDR\n')
        out = run_hotline('import-calls', path)
        self.assertEqual(out.returncode, 1, out)
        self.assertIn(path, out.stderr)
        out = run_hotline('import-calls', '--format', 'asterisk-cdr', path)
        self.assertEqual(out.returncode, 0, out)
        self.assertEqual(summary(out.stdout)[:3], (0, 0, 1))

    def test_usage_errors(self):
        self.assertEqual(run_hotline('import-calls').returncode, 2)
        out = run_hotline('import-calls', '--format', 'csv', 'x')
        self.assertEqual(out.returncode, 2)
        self.assertIn('unknown format "csv"', out.stderr)
        out = run_hotline('import-calls', os.path.join(self.tmp, 'missing.csv'))
        self.assertEqual(out.returncode, 1)
        self.assertIn('cannot open', out.stderr)


class ImportOverHttp(ServerTestCase):
    """POST /api/v1/calls/import"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.token = create_token(add_user('supervisor'))
            cls.agent_token = create_token(add_user('agent'))
        except BaseException:
            cls.server.stop()
            raise

    def post(self, data, query='', token=None):
        return self.client.request('POST', '/api/v1/calls/import' + query, raw=data,
                                   headers={'Authorization': 'Bearer ' + (token or self.token),
                                            'Content-Type': 'text/csv'})

    def test_import_answers_the_summary_and_the_rejects(self):
        tmp = tempfile.mkdtemp(prefix='hotline-calls-')
        try:
            (path,), _ = private_copies(tmp, 'asterisk_master.csv')
            with open(path, 'rb') as f:
                data = f.read()
        finally:
            shutil.rmtree(tmp)
        r = self.post(data, '?format=asterisk-cdr')
        self.assertEqual(r.status, 200, r)
        j = r.json
        self.assertEqual((j['format'], j['records'], j['imported'], j['duplicates'], j['rejected']),
                         ('asterisk-cdr', 7, 7, 0, 5))
        self.assertEqual([x['line'] for x in j['rejects']], [8, 9, 10, 13, 14])
        self.assertEqual(j['rejects'][0]['field'], 'start')
        self.assertIn('invalid time "', j['rejects'][0]['reason'])
        self.assertIsNone(j['rejects'][2]['field'])
        self.assertFalse(j['rejects_truncated'])
        r = self.post(data)     # auto-detected, and all seen before
        self.assertEqual((r.json['imported'], r.json['duplicates'], r.json['rejected']), (0, 7, 5))

    def test_only_supervisors_and_administrators_import(self):
        self.assertProblem(self.post(b'x', token=self.agent_token), 403)

    def test_bad_requests(self):
        self.assertProblem(self.post(b'"a"\n', '?format=csv'), 400, 'unknown format "csv"')
        self.assertProblem(self.post(b''), 400, 'empty')
        self.assertProblem(self.post(b'hello\n'), 400)


if __name__ == '__main__':
    unittest.main()
