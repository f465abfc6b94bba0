namespace Platform.Migrations.Tests;

public class SqlStatementSplitterTests
{
    [Fact]
    public void Splits_on_top_level_semicolons_only()
    {
        const string sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon', "we;ird" int);
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$
            BEGIN
              RETURN 'a;b' || $$c;d$$;
            END;
            $fn$;
            SELECT E'it\'s; fine', $1::text;
            -- trailing comment only
            """;

        var statements = SqlStatementSplitter.Split(sql);

        Assert.Equal(3, statements.Count);
        Assert.StartsWith("CREATE TABLE a", statements[0].Text);
        Assert.StartsWith("CREATE FUNCTION f()", statements[1].Text);
        Assert.EndsWith("$fn$", statements[1].Text);
        Assert.Equal("SELECT E'it\\'s; fine', $1::text", statements[2].Text);
    }

    [Fact]
    public void Offsets_point_at_the_statement_in_the_file()
    {
        const string sql = "SELECT 1;\n\n  -- note\n  SELECT 2;";

        var statements = SqlStatementSplitter.Split(sql);

        Assert.Equal(2, statements.Count);
        Assert.Equal("SELECT 2", sql.Substring(statements[1].Offset, 8));
        Assert.Equal((4, 3), SqlStatementSplitter.LineAndColumn(sql, statements[1].Offset));
    }

    [Fact]
    public void Dollar_signs_inside_identifiers_and_parameters_are_not_quotes()
    {
        var statements = SqlStatementSplitter.Split("SELECT a$b$c FROM t WHERE x = $1; SELECT 2");

        Assert.Equal(["SELECT a$b$c FROM t WHERE x = $1", "SELECT 2"], statements.Select(s => s.Text));
    }

    [Fact]
    public void Unterminated_quote_swallows_the_rest_instead_of_splitting_inside_it()
    {
        var statements = SqlStatementSplitter.Split("SELECT 'open; SELECT 2;");

        Assert.Single(statements);
    }
}

/// <summary>One test per PostgreSQL form that can hide a semicolon (or look like a statement end).</summary>
public class SqlStatementSplitterFormTests
{
    private static List<string> Texts(string sql) => SqlStatementSplitter.Split(sql).Select(s => s.Text).ToList();

    [Fact]
    public void A_sql_standard_function_body_is_one_statement()
    {
        const string function = """
            CREATE FUNCTION add_one(x int) RETURNS int
                LANGUAGE sql
                BEGIN ATOMIC
                    SELECT x + 1;
                END
            """;

        Assert.Equal([function, "SELECT add_one(1)"], Texts(function + ";\nSELECT add_one(1);"));
    }

    [Fact]
    public void A_begin_atomic_body_may_nest_case_end_and_hold_several_statements()
    {
        const string procedure = """
            create or replace procedure bump(n int)
            language sql
            begin atomic
                insert into counters values (n);
                update counters set label = case when n > 0 then 'up; positive' else 'down' end;
                select case n when 1 then (case when n > 0 then 'a' end) else 'b' END;
            end
            """;

        Assert.Equal([procedure, "SELECT 2"], Texts(procedure + ";\nSELECT 2;"));
    }

    [Fact]
    public void Begin_atomic_words_inside_identifiers_strings_or_comments_do_not_open_a_body()
    {
        const string sql = """
            CREATE FUNCTION f_begin() RETURNS text LANGUAGE sql RETURN 'begin atomic';
            SELECT "begin", end_date FROM t /* begin atomic */;
            CREATE TABLE atomic_begin (x int);
            """;

        Assert.Equal(3, Texts(sql).Count);
    }

    [Fact]
    public void Case_end_outside_a_function_body_does_not_change_the_split()
    {
        Assert.Equal(
            ["SELECT CASE WHEN true THEN 1 END", "CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END", "SELECT 3"],
            Texts("SELECT CASE WHEN true THEN 1 END; CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END; SELECT 3;"));
    }

    [Fact]
    public void Transaction_begin_and_end_are_ordinary_statements()
    {
        Assert.Equal(["BEGIN", "CREATE TABLE t (x int)", "END"], Texts("BEGIN;\nCREATE TABLE t (x int);\nEND;"));
    }

    [Fact]
    public void Dollar_quotes_end_only_at_their_own_tag()
    {
        const string body = "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN $$x;$$ || $a$;$a$; END; $body$";

        Assert.Equal([body, "SELECT 1"], Texts(body + "; SELECT 1;"));
    }

    [Fact]
    public void Escape_strings_honour_backslash_escapes_and_doubled_quotes()
    {
        Assert.Equal(
            [@"SELECT E'a\';b', e'c\\', 'd'';e'", @"SELECT E'\\\''';'"],
            Texts(@"SELECT E'a\';b', e'c\\', 'd'';e'; SELECT E'\\\''';';"));
    }

    [Fact]
    public void A_backslash_in_a_standard_string_is_not_an_escape()
    {
        Assert.Equal([@"SELECT 'C:\'", "SELECT 2"], Texts(@"SELECT 'C:\'; SELECT 2;"));
    }

    [Fact]
    public void Quoted_identifiers_may_hold_semicolons_and_doubled_quotes()
    {
        Assert.Equal(["CREATE TABLE \"a;\"\"b\" (\"c;d\" int)", "SELECT 1"], Texts("CREATE TABLE \"a;\"\"b\" (\"c;d\" int); SELECT 1;"));
    }

    [Fact]
    public void Block_comments_nest()
    {
        Assert.Equal(["SELECT 1", "SELECT 2"], Texts("SELECT 1; /* outer; /* inner; */ still comment; ' */ SELECT 2;"));
    }

    [Fact]
    public void Line_comments_hide_quotes_and_semicolons_until_the_end_of_the_line()
    {
        Assert.Equal(["SELECT 1 -- it's; not a quote\n+ 1", "SELECT 2"], Texts("SELECT 1 -- it's; not a quote\n+ 1; SELECT 2;"));
    }
}
