using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Seo;

/// <summary>A creator and an item whose display name and title end in an unclosed RIGHT-TO-LEFT OVERRIDE (U+202E).</summary>
public sealed class BidiFixture : DiscoveryHost
{
    public const string Name = "Mallory \u202Eevil";

    public const string Title = "Harmless \u202Etitle";

    public (Guid Id, string Slug) Item { get; private set; }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var mallory = await data.CreatorAsync("mallory", displayName: Name);
        Item = await data.ItemAsync(mallory, Title, category: "music", tags: ["x\u202Ey"]);
    }
}

/// <summary>
/// Unicode UAX #9: an unclosed override in user text must not reorder the page's own text after it. In markup every
/// piece of user text is isolated (<c>&lt;bdi&gt;</c> or <c>dir="auto"</c>, HTML "bidirectional isolation"); in
/// <c>&lt;title&gt;</c> and <c>&lt;meta content&gt;</c>, where no markup is possible, no embedding, override or
/// isolate control is left open.
/// </summary>
public sealed class BidiIsolationTests(BidiFixture api) : IClassFixture<BidiFixture>
{
    private static readonly char[] ExplicitControls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];

    [Fact]
    public async Task An_override_in_an_item_title_or_creator_name_stays_inside_its_isolate_on_the_item_page()
    {
        using var client = api.CreateClient();
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync("/c/" + api.Item.Slug));

        AssertEveryOverrideIsolated(page);
        AssertHeadTextHasNoOpenControl(page);
        var meta = page.QuerySelector("p.meta")!;
        Assert.Contains(meta.Children, e => e.LocalName == "time"); // the date is the line's own element, not inside the name's isolate
    }

    [Fact]
    public async Task An_override_in_a_display_name_stays_inside_its_isolate_on_the_creator_page()
    {
        using var client = api.CreateClient();
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync("/@mallory"));

        AssertEveryOverrideIsolated(page);
        AssertHeadTextHasNoOpenControl(page);
        Assert.EndsWith("(@mallory) – Creator Discovery", page.Title);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/category/music")]
    [InlineData("/search?q=harmless")]
    public async Task An_override_in_a_card_stays_inside_its_isolate_on_lists(string path)
    {
        using var client = api.CreateClient();
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync(path));

        Assert.Contains(page.QuerySelectorAll("body *"), e => e.TextContent.Contains('\u202E', StringComparison.Ordinal));
        AssertEveryOverrideIsolated(page);
        AssertHeadTextHasNoOpenControl(page);
    }

    /// <summary>Every text node holding U+202E has an ancestor (up to its block) that isolates: bdi or dir="auto".</summary>
    private static void AssertEveryOverrideIsolated(IDocument page)
    {
        var body = page.Body!;
        var texts = body.Descendants<IText>().Where(t => t.Data.Contains('\u202E', StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(texts);
        foreach (var text in texts)
        {
            var isolated = text.Ancestors<IElement>().Any(e => e.LocalName == "bdi" || e.GetAttribute("dir") == "auto");
            Assert.True(isolated, $"not isolated: <{text.ParentElement!.LocalName}> in <{text.ParentElement.ParentElement!.LocalName} class=\"{text.ParentElement.ParentElement.ClassName}\">");
        }
    }

    /// <summary>The title and every meta content (og:title, twitter:title, descriptions) close what they open.</summary>
    private static void AssertHeadTextHasNoOpenControl(IDocument page)
    {
        var values = page.Head!.QuerySelectorAll("meta[content]").Select(m => m.GetAttribute("content")!).Append(page.Title!).ToList();
        foreach (var value in values)
        {
            Assert.True(value.IndexOfAny(ExplicitControls) < 0 || Balanced(value), $"open bidi control in head text: {value}");
        }
    }

    private static bool Balanced(string value)
    {
        var depth = 0;
        foreach (var c in value)
        {
            if (c is >= '\u202A' and <= '\u202E' && c != '\u202C' || c is >= '\u2066' and <= '\u2068')
            {
                depth++;
            }
            else if (c is '\u202C' or '\u2069')
            {
                depth--;
            }
        }

        return depth == 0;
    }
}

public sealed class WithoutBidiControlsTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\u202Eb\u202Cc", "abc")]
    [InlineData("\u202A\u202B\u202D\u2066\u2067\u2068\u2069x", "x")]
    [InlineData("\u200Eleft\u200Fright\u061C", "\u200Eleft\u200Fright\u061C")] // the implicit marks stay
    public void Removes_the_explicit_embedding_override_and_isolate_controls_only(string text, string expected) =>
        Assert.Equal(expected, Platform.Api.Features.Seo.Shared.Html.WithoutBidiControls(text));

    [Fact]
    public void Returns_the_same_instance_when_nothing_is_removed()
    {
        var text = "nothing to remove";
        Assert.Same(text, Platform.Api.Features.Seo.Shared.Html.WithoutBidiControls(text));
    }
}
