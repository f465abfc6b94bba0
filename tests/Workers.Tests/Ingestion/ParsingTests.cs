using Platform.Core.Ingestion;
using Platform.Workers.Ingestion.Feeds;
using Platform.Workers.Ingestion.YouTube;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>The small parsers the importers rely on.</summary>
public class ParsingTests
{
    [Theory]
    [InlineData("PT4M13S", 253)]
    [InlineData("PT1H2M3S", 3723)]
    [InlineData("P1DT2H", 93600)]
    [InlineData("P0D", 0)]
    [InlineData("PT15S", 15)]
    [InlineData("nonsense", null)]
    [InlineData("", null)]
    public void YouTube_durations_are_iso_8601(string value, int? seconds) =>
        Assert.Equal(seconds, YouTubeVideoMapper.Duration(value));

    [Theory]
    [InlineData("Wed, 02 Oct 2002 13:00:00 GMT", "2002-10-02T13:00:00Z")]
    [InlineData("Wed, 02 Oct 2002 15:00:00 +0200", "2002-10-02T13:00:00Z")]
    [InlineData("02 Oct 2002 08:00:00 EST", "2002-10-02T13:00:00Z")]
    [InlineData("Wed, 2 Oct 02 13:00 GMT", "2002-10-02T13:00:00Z")]
    [InlineData("2002-10-02T13:00:00Z", "2002-10-02T13:00:00Z")]
    public void Rss_dates_are_rfc_822_with_the_usual_liberties(string value, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), FeedParser.Rfc822(value));

    [Theory]
    [InlineData("UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv", null)]
    [InlineData("@SomeCreator", null, "@somecreator")]
    [InlineData("https://www.youtube.com/@SomeCreator/videos", null, "@somecreator")]
    [InlineData("youtube.com/channel/UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv", null)]
    [InlineData("https://m.youtube.com/channel/UCabcdefghijklmnopqrstuv/featured", "UCabcdefghijklmnopqrstuv", null)]
    public void Channels_are_named_by_id_handle_or_url(string input, string? channelId, string? handle)
    {
        Assert.True(ChannelReference.TryParse(input, out var reference));
        Assert.Equal(channelId, reference.ChannelId);
        Assert.Equal(handle, reference.Handle);
    }

    [Theory]
    [InlineData("https://evil.example.com/@creator")]
    [InlineData("https://www.youtube.com/watch?v=dQw4w9WgXcQ")]
    [InlineData("@a")]
    [InlineData("UCshort")]
    [InlineData("")]
    public void Anything_else_is_not_a_channel(string input) => Assert.False(ChannelReference.TryParse(input, out _));

    [Fact]
    public void Html_becomes_one_line_of_plain_text() =>
        Assert.Equal("Hello & welcome to the show.", FeedParser.PlainText("<p>Hello &amp;amp; <b>welcome</b></p>\n<p>to the show.</p>"));
}
