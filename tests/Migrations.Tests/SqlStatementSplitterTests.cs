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
