using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Data;
using Platform.TestSupport;

namespace Platform.Workers.Tests.Data;

/// <summary><see cref="PostgresText"/>: what it does to text and JSON, and that PostgreSQL then stores what it returns.</summary>
public sealed class PostgresTextTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Theory]
    [InlineData("a\\u0000b", "ab")]
    [InlineData("\\u0000\\u0000", "")]
    [InlineData("x\\uD800y", "x\\uFFFDy")] // unpaired high surrogate
    [InlineData("x\\uDC00", "x\\uFFFD")] // unpaired low surrogate
    [InlineData("\\uDE00\\uD83D", "\\uFFFD\\uFFFD")] // a pair in the wrong order is two unpaired halves
    [InlineData("ok \\uD83D\\uDE00 \\u00e9", "ok \\uD83D\\uDE00 \\u00e9")]
    public void Clean_removes_nul_and_replaces_unpaired_surrogates(string escapedInput, string escapedExpected)
    {
        // Escaped here because xUnit's test case serialization would itself replace unpaired surrogates.
        var input = Regex.Unescape(escapedInput);
        var expected = Regex.Unescape(escapedExpected);

        Assert.Equal(expected, PostgresText.Clean(input));
        Assert.True(PostgresText.IsStorable(expected));
        Assert.Equal(input == expected, PostgresText.IsStorable(input));
    }

    [Fact]
    public void Clean_returns_the_same_instance_when_nothing_needs_cleaning()
    {
        var text = "nothing to clean 😀";
        Assert.Same(text, PostgresText.Clean(text));
        Assert.Null(PostgresText.Clean(null));
    }

    [Theory]
    [InlineData(5, "", "aaaa😀", "aaaa")] // the emoji (2 code units) does not fit after 4 a's: never half a pair
    [InlineData(6, "", "aaaa😀", "aaaa😀")]
    [InlineData(3, "", "ae\u0301e\u0301", "ae\u0301")] // a combining accent stays with its letter
    [InlineData(6, "…", "hello world", "hello…")]
    [InlineData(10, "", "a\u0000b", "ab")]
    public void Truncate_cuts_at_a_text_element_boundary(int maxLength, string ellipsis, string input, string expected)
    {
        var cut = PostgresText.Truncate(input, maxLength, ellipsis);
        Assert.Equal(expected, cut);
        Assert.True(cut!.Length <= maxLength);
    }

    [Fact]
    public void CleanJson_cleans_every_string_and_property_name_and_keeps_the_rest()
    {
        const string json = """{"no\u0000te":"a\u0000b","list":[1.50,"\ud800x",{"deep":"\udc00"}],"ok":"é 😀 \"q\" \\ \n","n":null,"t":true}""";

        var clean = PostgresText.CleanJson(json);

        Assert.Equal("""{"note":"ab","list":[1.50,"�x",{"deep":"�"}],"ok":"é \uD83D\uDE00 \"q\" \\ \n","n":null,"t":true}""", clean); // the relaxed encoder still escapes what is outside the BMP
    }

    [Theory]
    [InlineData("""{"a":"b","c":[1,2,{"d":"\u00e9"}]}""")]
    [InlineData("""{"a":"\\u0000 is text here, not an escape"}""")]
    [InlineData("not json \\u0000")]
    public void CleanJson_returns_storable_json_unchanged(string json)
    {
        Assert.Same(json, PostgresText.CleanJson(json));
    }

    [Theory]
    [InlineData("""{"type":"echo","payload":{"note":"a\u0000b"}}""", "payload.note")]
    [InlineData("""{"items":["ok",{"x":"\ud800"}]}""", "items[1].x")]
    [InlineData("""{"items":["ok","\udfff"]}""", "items[1]")]
    [InlineData("""{"a":{"b\u0000":1}}""", "a.b")]
    [InlineData("\"\\u0000\"", "$")]
    [InlineData("""[[1],["\u0000"]]""", "[1][0]")]
    public void FindUnstorableJsonString_names_the_field(string json, string expected)
    {
        Assert.Equal(expected, PostgresText.FindUnstorableJsonString(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void FindUnstorableJsonString_names_a_string_that_is_not_utf8()
    {
        byte[] json = [.. "{\"a\":[\"ok\",\"x"u8, 0xED, 0xA0, 0x80, .. "\"]}"u8];
        Assert.Equal("a[1]", PostgresText.FindUnstorableJsonString(json));
    }

    [Fact]
    public void FindUnstorableJsonString_is_null_for_storable_json()
    {
        Assert.Null(PostgresText.FindUnstorableJsonString("""{"a":["b","\ud83d\ude00",{"c":"\"\\u0000\""}],"d":1}"""u8));
    }

    [Theory]
    [InlineData("""{"payload":{"x":1e1000000}}""", "payload.x")]
    [InlineData("""{"a":[1,-1e-1000000]}""", "a[1]")]
    [InlineData("""[0e1073741824]""", "[0]")]
    public void FindUnstorableJsonString_names_a_number_jsonb_cannot_hold(string json, string expected)
    {
        Assert.True(PostgresText.MayHoldUnstorableJson(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(expected, PostgresText.FindUnstorableJsonString(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("""{"a":"b","n":[1,2.5,-3]}""", false)]
    [InlineData("""{"a":"see"}""", false)]
    [InlineData("""{"a":1e5}""", true)]
    [InlineData("""{"a":"2E"}""", true)] // a digit before an e in a string only costs the full read
    [InlineData("""{"a":"\u00e9"}""", true)]
    public void MayHoldUnstorableJson_is_false_only_when_nothing_can_be_unstorable(string json, bool expected)
    {
        Assert.Equal(expected, PostgresText.MayHoldUnstorableJson(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    public static TheoryData<string> Numbers =>
    [
        "0", "-0", "1.50", "-12.5e3", "1E+5", "123456789012345678901234567890", "1e400", "9.99e131071", "1e131071",
        "1e131072", "10e131071", "0.1e131072", "0.01e131073", "1e-16383", "1e-16384", "0.5e-16382", "0.5e-16383",
        "0e-16383", "0e-16384", "0e131072", "0e1073741823", "0e1073741824", "1e99999999999999999999", "-1e-1000000",
        "1e1000000", "0." + new string('0', 16383), "0." + new string('0', 16384), "1." + new string('5', 16384),
    ];

    [Theory]
    [MemberData(nameof(Numbers))]
    public async Task IsStorableJsonNumber_agrees_with_PostgreSQL(string number)
    {
        bool stored;
        try
        {
            await RoundTripAsync("ok", $$"""{"n":{{number}}}""");
            stored = true;
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.NumericValueOutOfRange)
        {
            stored = false;
        }

        var ours = PostgresText.IsStorableJsonNumber(System.Text.Encoding.UTF8.GetBytes(number));
        if (ours)
        {
            Assert.True(stored, $"{number} is called storable but PostgreSQL refuses it (it would answer 500)");
        }
        else
        {
            // The rule keeps PostgreSQL 15's answer, so a payload accepted here is stored on every supported server;
            // PostgreSQL 18 reads a zero with the largest exponent as 0 where 15 refuses it.
            Assert.True(!stored || ServerDependentNumbers.Contains(number), $"{number} is refused but PostgreSQL stores it");
        }
    }

    private static readonly HashSet<string> ServerDependentNumbers = ["0e1073741823"];

    [Theory]
    [MemberData(nameof(Numbers))]
    public async Task CleanJson_keeps_a_number_jsonb_holds_and_stores_any_other_as_the_string_written(string number)
    {
        var json = $$"""{"n":{{number}},"s":"1e5"}""";

        var clean = PostgresText.CleanJson(json)!;
        var (_, stored) = await RoundTripAsync("ok", clean);

        if (PostgresText.IsStorableJsonNumber(System.Text.Encoding.UTF8.GetBytes(number)))
        {
            Assert.Same(json, clean);
        }
        else
        {
            Assert.Equal($$"""{"n":"{{number}}","s":"1e5"}""", clean);
            Assert.Equal(number, JsonDocument.Parse(stored).RootElement.GetProperty("n").GetString());
        }
    }

    [Fact]
    public async Task PostgreSQL_stores_what_Clean_and_CleanJson_return_and_refuses_the_input()
    {
        const string text = "a\0b\uD800";
        const string json = """{"note":"a\u0000b","bad":"\ud800"}""";

        await Assert.ThrowsAnyAsync<Exception>(() => RoundTripAsync(text, """{"ok":1}"""));
        await Assert.ThrowsAsync<PostgresException>(() => RoundTripAsync("ok", json));

        var (storedText, storedJson) = await RoundTripAsync(PostgresText.Clean(text)!, PostgresText.CleanJson(json)!);
        Assert.Equal("ab\uFFFD", storedText);
        Assert.Equal("""{"bad": "�", "note": "ab"}""", storedJson);
    }

    private async Task<(string Text, string Json)> RoundTripAsync(string text, string json)
    {
        await using var command = database.DataSource.CreateCommand("SELECT @text::text, @json::jsonb::text");
        command.Parameters.Add(new NpgsqlParameter("text", NpgsqlDbType.Text) { Value = text });
        command.Parameters.Add(new NpgsqlParameter("json", NpgsqlDbType.Jsonb) { Value = json });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetString(1));
    }
}
