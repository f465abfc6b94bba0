using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// Opaque keyset cursor: the sort it belongs to and the last row's sort key and id, base64url-encoded
/// (<c>r|ticks|id</c>, <c>p|clicks|id</c>, <c>t|score|id</c>). A cursor of another sort, or anything that does not
/// parse, is rejected (400), never guessed.
/// </summary>
public readonly record struct FeedCursor(char Sort, long Number, double Score, Guid Id)
{
    public static FeedCursor Recent(DateTimeOffset publishedAt, Guid id) => new('r', publishedAt.UtcTicks, 0, id);

    public static FeedCursor Popular(long clicks, Guid id) => new('p', clicks, 0, id);

    public static FeedCursor Trending(double score, Guid id) => new('t', 0, score, id);

    public DateTimeOffset PublishedAt => new(Number, TimeSpan.Zero);

    public string Encode()
    {
        var key = Sort == 't' ? Score.ToString("R", CultureInfo.InvariantCulture) : Number.ToString(CultureInfo.InvariantCulture);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Sort}|{key}|{Id:N}"));
    }

    public static bool TryDecode(string? text, out FeedCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 200 || !Base64Url.IsValid(text))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = decoded.Split('|');
        if (parts.Length != 3 || parts[0].Length != 1 || !Guid.TryParseExact(parts[2], "N", out var id))
        {
            return false;
        }

        switch (parts[0][0])
        {
            case 'r' when long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                          && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks:
                cursor = new FeedCursor('r', ticks, 0, id);
                return true;
            case 'p' when long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var clicks):
                cursor = new FeedCursor('p', clicks, 0, id);
                return true;
            case 't' when double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && double.IsFinite(score):
                cursor = new FeedCursor('t', 0, score, id);
                return true;
            default:
                return false;
        }
    }
}
