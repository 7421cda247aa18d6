/*
 * test_sql.c - the SQL destinations' common part (sinks/sql.c) alone:
 * names taken apart, passwords masked, shapes from rows and from a
 * table's columns, times.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/dstream.h"
#include "../../src/sinks/sql.h"
#include "unit.h"


static void
test_parse(void)
{
	struct sql_dest	 d;
	char		*cause = NULL;

	CHECK(sql_dest_parse("sqlite:out.db", &d, &cause) == 0);
	CHECK(!d.pg);
	CHECK_STR(d.target, "out.db");
	CHECK_STR(d.table, "dstream");
	sql_dest_free(&d);
	CHECK(sql_dest_parse("sqlite:/tmp/a b.db?table=Stats_1", &d,
	    &cause) == 0);
	CHECK_STR(d.target, "/tmp/a b.db");
	CHECK_STR(d.table, "Stats_1");
	sql_dest_free(&d);
	CHECK(sql_dest_parse("postgresql://u:secret@h:5433/db?sslmode=disable"
	    "&table=t&retry=7&application_name=x", &d, &cause) == 0);
	CHECK(d.pg);
	CHECK_STR(d.target, "postgresql://u:secret@h:5433/db?sslmode=disable"
	    "&application_name=x");
	CHECK_STR(d.table, "t");
	CHECK(d.retry_s == 7);
	CHECK_STR(d.shown, "postgresql://u:***@h:5433/db?sslmode=disable"
	    "&table=t&retry=7&application_name=x");
	sql_dest_free(&d);
	CHECK(sql_dest_parse("postgres:///db?table=t", &d, &cause) == 0);
	CHECK_STR(d.target, "postgres:///db");
	CHECK(d.retry_s == 300);
	sql_dest_free(&d);

	/* Refused, each naming the destination. */
	static const char *const bad[] = { "sqlite:", "sqlite:?table=t",
	    "sqlite:x.db?table=", "sqlite:x.db?table=1x",
	    "sqlite:x.db?table=a-b", "sqlite:x.db?table=a&table=b",
	    "sqlite:x.db?mode=ro", "sqlite:x.db?table=dstream_checkpoint",
	    "postgresql://h/db?retry=x", "postgresql://h/db?retry=-1",
	    "postgresql://h/db?retry=", "postgresql://h/db?table=\"x\"",
	    "postgresql://u:pw@h/db?retry=1&retry=2", "file.txt" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		CHECK(sql_dest_parse(bad[i], &d, &cause) == -1);
		CHECK(cause != NULL);
		if (cause != NULL && strncmp(bad[i], "file", 4) != 0)
			CHECK(strstr(cause, "output '") != NULL);
		if (cause != NULL)
			CHECK(strstr(cause, "pw") == NULL);
		free(cause);
	}
}

static void
test_mask(void)
{
	static const char *const cases[][2] = {
		{ "postgresql://u:pw@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u@h/db", "postgresql://u@h/db" },
		{ "postgresql://u:p/w?x@h/db", "postgresql://u:p/w?x@h/db" },
		{ "postgresql://u:p/w@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:p@w@h/db", "postgresql://u:***@h/db" },
		{ "postgresql:///db?password=pw&user=u",
		    "postgresql:///db?password=***&user=u" },
		{ "postgresql:///db?user=u&PASSWORD=pw",
		    "postgresql:///db?user=u&password=***" },
		{ "sqlite:x.db?table=t", "sqlite:x.db?table=t" },
	};
	char	*m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		m = sql_mask(cases[i][0]);
		/* An unescaped ? in a password cuts the URI there: shown. */
		CHECK_STR(m, cases[i][1]);
		free(m);
	}
}

static void
test_shape(void)
{
	struct value	 a[4], t, one = value_int(3);
	struct sql_shape s, s2;
	struct buf	 b = BUF_INIT;
	char		*cause = NULL;
	char		*cols1[] = { "time", "key", "value", "value2" };
	char		*cols2[] = { "value", "time" };
	char		*cols3[] = { "time", "key", "value", "value3" };
	char		*cols4[] = { "time", "key", "n" };

	a[0] = value_str("k", 1);
	a[1] = value_int(1);
	a[2] = value_dbl(0.5);
	t.type = V_TUPLE;
	t.n = 3;
	t.u.a = a;
	CHECK(sql_shape_of(&t, &s, &cause) == 0);
	CHECK(s.keyed && s.nvals == 2);
	sql_shape_names(&b, &s);
	CHECK_STR(b.p, "time, key, value, value2");
	CHECK(sql_cell(&s, &t, 1) == &a[0]);
	CHECK(sql_cell(&s, &t, 3) == &a[2]);
	CHECK(sql_shape_from_columns(cols1, 4, "w", "t", &s2, &cause) == 0);
	CHECK(sql_shape_eq(&s, &s2));
	CHECK(sql_shape_of(&one, &s, &cause) == 0);
	CHECK(!s.keyed && s.nvals == 1);
	CHECK(sql_cell(&s, &one, 1) == &one);
	CHECK(sql_shape_from_columns(cols2, 2, "w", "t", &s2, &cause) == 0);
	CHECK(sql_shape_eq(&s, &s2));
	CHECK(sql_shape_from_columns(cols3, 4, "w", "t", &s2, &cause) == -1);
	free(cause);
	cause = NULL;
	CHECK(sql_shape_from_columns(cols4, 3, "w", "t", &s2, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "(time, key, n)") != NULL);
	free(cause);
	buf_reset(&b);
	sql_time(&b, 1763683260000);
	CHECK_STR(b.p, "2025-11-21T00:01:00.000Z");
	buf_reset(&b);
	sql_time(&b, 1763683260250);
	CHECK_STR(b.p, "2025-11-21T00:01:00.250Z");
	buf_reset(&b);
	sql_ident(&b, "a\"b");
	CHECK_STR(b.p, "\"a\"\"b\"");
	buf_free(&b);
}

int
main(void)
{
	test_parse();
	test_mask();
	test_shape();
	return unit_done("test_sql");
}
