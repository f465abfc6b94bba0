using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Core.Data;

namespace Platform.Api.Features.Account.UpdateProfile;

/// <summary>A field of the patch: <see cref="IsSet"/> false = left out (unchanged); <see cref="Value"/> null = cleared.</summary>
public readonly record struct Change<T>(bool IsSet, T? Value);

/// <summary>
/// <see cref="Request"/> checked field by field against <see cref="ProfileRules"/>: every bad field is reported (name
/// and reason), and a patch is only built when all are good, so nothing is half-applied.
/// </summary>
public sealed class ProfilePatch
{
    public Change<string> Username { get; private init; }

    public Change<string> DisplayName { get; private init; }

    public Change<string> Bio { get; private init; }

    public Change<string> AvatarUrl { get; private init; }

    public Change<string> WebsiteUrl { get; private init; }

    /// <summary>The links as a JSON object text (<c>{}</c> when cleared).</summary>
    public Change<string> SocialLinks { get; private init; }

    public Change<bool?> IsPublic { get; private init; }

    public bool IsEmpty => !(Username.IsSet || DisplayName.IsSet || Bio.IsSet || AvatarUrl.IsSet || WebsiteUrl.IsSet || SocialLinks.IsSet || IsPublic.IsSet);

    /// <summary>Checks every field; <paramref name="errors"/> gets (field, reason) for each bad one.</summary>
    public static ProfilePatch? Parse(Request request, List<(string Field, string Reason)> errors)
    {
        foreach (var field in request.Unknown?.Keys ?? Enumerable.Empty<string>())
        {
            errors.Add((Http.Problems.Cite(field), "is not a profile field (username, display_name, bio, avatar_url, website_url, social_links, is_public)"));
        }

        var patch = new ProfilePatch
        {
            Username = Text(request.Username, "username", errors, value =>
                !ProfileRules.UsernameFormat().IsMatch(value)
                    ? "must be 2-39 characters of a-z, 0-9, '_', '.', '-', not starting with '.' or '-'"
                    : ProfileRules.ReservedUsernames.Contains(value) ? $"'{value}' is reserved" : null),
            DisplayName = Text(request.DisplayName, "display_name", errors, value =>
                value.Length > ProfileRules.MaxDisplayNameLength ? $"must be at most {ProfileRules.MaxDisplayNameLength} characters"
                : value.Any(char.IsControl) ? "must not contain control characters" : null),
            Bio = Text(request.Bio, "bio", errors, value =>
                value.Length > ProfileRules.MaxBioLength ? $"must be at most {ProfileRules.MaxBioLength} characters" : null),
            AvatarUrl = Url(request.AvatarUrl, "avatar_url", errors),
            WebsiteUrl = Url(request.WebsiteUrl, "website_url", errors),
            SocialLinks = Links(request.SocialLinks, errors),
            IsPublic = request.IsPublic.ValueKind switch
            {
                JsonValueKind.Undefined => default,
                JsonValueKind.True or JsonValueKind.False => new Change<bool?>(true, request.IsPublic.GetBoolean()),
                _ => Fail<bool?>("is_public", "must be true or false", errors),
            },
        };
        return errors.Count == 0 ? patch : null;
    }

    /// <summary>A string field: trimmed, made storable (<see cref="PostgresText.Clean"/>), empty = cleared, then <paramref name="check"/>.</summary>
    private static Change<string> Text(JsonElement element, string field, List<(string, string)> errors, Func<string, string?> check)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
                return default;
            case JsonValueKind.Null:
                return new Change<string>(true, null);
            case JsonValueKind.String:
                if (!TryGetString(element, out var text))
                {
                    return Fail<string>(field, "must be valid Unicode text", errors);
                }

                var value = PostgresText.Clean(text)!.Trim();
                if (value.Length == 0)
                {
                    return new Change<string>(true, null);
                }

                var problem = check(value);
                return problem is null ? new Change<string>(true, value) : Fail<string>(field, problem, errors);
            default:
                return Fail<string>(field, "must be a string or null", errors);
        }
    }

    private static Change<string> Url(JsonElement element, string field, List<(string, string)> errors)
    {
        string? normalized = null;
        var change = Text(element, field, errors, value =>
            ProfileRules.TryNormalizeUrl(value, out normalized) ? null : "must be an absolute http(s) URL of at most 2048 characters");
        return change.Value is null ? change : new Change<string>(true, normalized);
    }

    private static Change<string> Links(JsonElement element, List<(string, string)> errors)
    {
        const string field = "social_links";
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
                return default;
            case JsonValueKind.Null:
                return new Change<string>(true, "{}");
            case JsonValueKind.Object:
                var links = new JsonObject();
                foreach (var link in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = link.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        name = string.Empty; // a lone surrogate: no network name
                    }

                    if (!ProfileRules.SocialLinkKey().IsMatch(name))
                    {
                        return Fail<string>(field, "keys must be network names of a-z, 0-9, '_', '-' (at most 32)", errors);
                    }

                    if (link.Value.ValueKind != JsonValueKind.String || !TryGetString(link.Value, out var linkText)
                        || !ProfileRules.TryNormalizeUrl(linkText, out var url))
                    {
                        return Fail<string>(field, $"'{name}' must be an absolute http(s) URL", errors);
                    }

                    links[name] = url;
                }

                return links.Count > ProfileRules.MaxSocialLinks
                    ? Fail<string>(field, $"at most {ProfileRules.MaxSocialLinks} links", errors)
                    : new Change<string>(true, links.ToJsonString());
            default:
                return Fail<string>(field, "must be an object of network name to URL, or null", errors);
        }
    }

    /// <summary>The string, or false for JSON text no .NET string can hold (an escaped lone surrogate, <c>"\ud800"</c>).</summary>
    private static bool TryGetString(JsonElement element, out string text)
    {
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static Change<T> Fail<T>(string field, string reason, List<(string, string)> errors)
    {
        errors.Add((field, reason));
        return default;
    }
}
