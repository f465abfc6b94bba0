namespace Platform.Migrations;

/// <summary>One top-level statement of a script and where it starts in the file.</summary>
public readonly record struct SqlStatement(string Text, int Offset);

/// <summary>
/// Splits a PostgreSQL script on top-level semicolons, the way psql does (src/fe_utils/psqlscan.l). Understands
/// everything that can hide a semicolon: 'strings' ('' doubles a quote; a backslash is literal), E'escape strings'
/// (backslash escapes, PostgreSQL "String Constants with C-Style Escapes"), "quoted identifiers" ("" doubles),
/// $tag$dollar quotes$tag$ (any tag; ends only at the same tag), -- line comments, nested /* block /* comments */ */,
/// parentheses (CREATE RULE ... DO (a; b)), and SQL-standard routine bodies <c>BEGIN ATOMIC ... END</c>
/// (PostgreSQL 14+, "CREATE FUNCTION"), which may nest <c>CASE ... END</c>.
/// Statements are sent one by one so an error can be reported with its line and column in the file, and so
/// non-transactional files (CREATE INDEX CONCURRENTLY) run outside any implicit transaction block.
/// </summary>
public static class SqlStatementSplitter
{
    public static IReadOnlyList<SqlStatement> Split(string sql)
    {
        var statements = new List<SqlStatement>();
        var start = 0;
        var i = 0;
        var parenDepth = 0;
        // BEGIN ATOMIC opens a body and CASE inside it opens a level; END closes one (as psql counts them).
        var bodyDepth = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '-' when Next(sql, i) == '-':
                    i = SkipLineComment(sql, i);
                    break;
                case '/' when Next(sql, i) == '*':
                    i = SkipBlockComment(sql, i);
                    break;
                case '\'':
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: IsEscapeStringPrefix(sql, i));
                    break;
                case '"':
                    i = SkipQuoted(sql, i, '"', backslashEscapes: false);
                    break;
                case '$' when TryReadDollarTag(sql, i, out var tag):
                    i = SkipDollarQuoted(sql, i, tag);
                    break;
                case '(':
                    parenDepth++;
                    i++;
                    break;
                case ')':
                    parenDepth = Math.Max(parenDepth - 1, 0);
                    i++;
                    break;
                case ';' when parenDepth == 0 && bodyDepth == 0:
                    Add(statements, sql, start, i);
                    i++;
                    start = i;
                    break;
                case var letter when IsIdentifierStart(letter):
                    var end = ReadWord(sql, i);
                    var word = sql.AsSpan(i, end - i);
                    if (word.Equals("begin", StringComparison.OrdinalIgnoreCase) && NextWordIs(sql, end, "atomic"))
                    {
                        bodyDepth++;
                    }
                    else if (bodyDepth > 0 && word.Equals("case", StringComparison.OrdinalIgnoreCase))
                    {
                        bodyDepth++;
                    }
                    else if (bodyDepth > 0 && word.Equals("end", StringComparison.OrdinalIgnoreCase))
                    {
                        bodyDepth--;
                    }

                    i = end;
                    break;
                default:
                    i++;
                    break;
            }
        }

        Add(statements, sql, start, sql.Length);
        return statements;
    }

    /// <summary>1-based line and column of a character offset.</summary>
    public static (int Line, int Column) LineAndColumn(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        for (var k = 0; k < offset; k++)
        {
            if (text[k] == '\n')
            {
                line++;
                lineStart = k + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    private static void Add(List<SqlStatement> statements, string sql, int start, int end)
    {
        // Skip leading whitespace and comments so an all-comment tail is not a statement.
        var k = start;
        while (k < end)
        {
            if (char.IsWhiteSpace(sql[k]))
            {
                k++;
            }
            else if (sql[k] == '-' && Next(sql, k) == '-')
            {
                k = SkipLineComment(sql, k);
            }
            else if (sql[k] == '/' && Next(sql, k) == '*')
            {
                k = SkipBlockComment(sql, k);
            }
            else
            {
                break;
            }
        }

        if (k >= end)
        {
            return;
        }

        statements.Add(new SqlStatement(sql[k..end].TrimEnd(), k));
    }

    private static char Next(string sql, int i) => i + 1 < sql.Length ? sql[i + 1] : '\0';

    private static int SkipLineComment(string sql, int i)
    {
        var newline = sql.IndexOf('\n', i);
        return newline < 0 ? sql.Length : newline + 1;
    }

    private static int SkipBlockComment(string sql, int i)
    {
        var depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && Next(sql, i) == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && Next(sql, i) == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }

    private static bool IsEscapeStringPrefix(string sql, int quote) =>
        quote > 0 && (sql[quote - 1] is 'E' or 'e') && (quote < 2 || !IsIdentifierChar(sql[quote - 2]));

    private static int SkipQuoted(string sql, int i, char quote, bool backslashEscapes)
    {
        i++;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (sql[i] == quote)
            {
                if (Next(sql, i) == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return sql.Length;
    }

    private static bool TryReadDollarTag(string sql, int i, out string tag)
    {
        tag = string.Empty;
        // $1 is a parameter, and a $ inside an identifier (foo$bar) is not a quote.
        if (i > 0 && IsIdentifierChar(sql[i - 1]))
        {
            return false;
        }

        var k = i + 1;
        if (k < sql.Length && char.IsDigit(sql[k]))
        {
            return false;
        }

        while (k < sql.Length && IsIdentifierChar(sql[k]))
        {
            k++;
        }

        if (k < sql.Length && sql[k] == '$')
        {
            tag = sql[i..(k + 1)];
            return true;
        }

        return false;
    }

    private static int SkipDollarQuoted(string sql, int i, string tag)
    {
        var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
        return end < 0 ? sql.Length : end + tag.Length;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';

    /// <summary>The end of the unquoted identifier or keyword at <paramref name="i"/> (letters, digits, _ and $).</summary>
    private static int ReadWord(string sql, int i)
    {
        while (i < sql.Length && (IsIdentifierChar(sql[i]) || sql[i] == '$'))
        {
            i++;
        }

        return i;
    }

    /// <summary>Whether the next word after <paramref name="i"/>, past whitespace and comments, is <paramref name="word"/>.</summary>
    private static bool NextWordIs(string sql, int i, string word)
    {
        while (i < sql.Length)
        {
            if (char.IsWhiteSpace(sql[i]))
            {
                i++;
            }
            else if (sql[i] == '-' && Next(sql, i) == '-')
            {
                i = SkipLineComment(sql, i);
            }
            else if (sql[i] == '/' && Next(sql, i) == '*')
            {
                i = SkipBlockComment(sql, i);
            }
            else
            {
                break;
            }
        }

        var end = ReadWord(sql, i);
        return sql.AsSpan(i, end - i).Equals(word, StringComparison.OrdinalIgnoreCase);
    }
}
