using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

/// <summary>
/// Development only: the settings <c>dotnet user-jwts create</c> writes, section <c>Authentication:Schemes:Bearer</c>
/// (the layout ASP.NET Core's own JwtBearer reads): <c>ValidIssuer</c>/<c>ValidIssuers</c> and <c>ValidAudiences</c>/
/// <c>ValidAudience</c> (the tool writes them to <c>appsettings.Development.json</c>), <c>SigningKeys</c>: an array of
/// <c>{ Id, Issuer, Value (base64), Length (bytes) }</c> (the tool keeps it in the project's user secrets). A key signs
/// tokens of its <c>Issuer</c> only. The tokens are HS256 with <c>sub</c> = a user name (<c>--name</c>, default the
/// OS user) and one <c>role</c> claim per <c>--role</c>; their <c>sub</c> is keyed like any OIDC subject.
/// </summary>
/// <remarks>Format: dotnet/aspnetcore, src/Tools/dotnet-user-jwts (SigningKeysHandler, JwtAuthenticationSchemeSettings, JwtIssuer).</remarks>
public sealed class DevelopmentTokens
{
    public const string Section = "Authentication:Schemes:Bearer";

    /// <summary>The claim <c>dotnet user-jwts create --role</c> writes (<c>ClaimTypes.Role</c> as JWT names it).</summary>
    public const string RoleClaim = "role";

    private DevelopmentTokens(IReadOnlySet<string> issuers, IReadOnlyList<string> audiences, IReadOnlyList<SecurityKey> keys)
    {
        Issuers = issuers;
        Audiences = audiences;
        Keys = keys;
    }

    public IReadOnlySet<string> Issuers { get; }

    public IReadOnlyList<string> Audiences { get; }

    public IReadOnlyList<SecurityKey> Keys { get; }

    /// <summary>The settings, or null when there is no issuer, audience or usable key (nothing to accept).</summary>
    /// <exception cref="InvalidOperationException">A signing key's <c>Value</c> is not base64.</exception>
    public static DevelopmentTokens? From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var issuers = new HashSet<string>(StringComparer.Ordinal);
        if (section["ValidIssuer"] is { Length: > 0 } issuer)
        {
            issuers.Add(issuer);
        }

        issuers.UnionWith(section.GetSection("ValidIssuers").Get<string[]>() ?? []);
        var audiences = section.GetSection("ValidAudiences").Get<string[]>() ?? [];
        if (audiences.Length == 0 && section["ValidAudience"] is { Length: > 0 } audience)
        {
            audiences = [audience];
        }

        var keys = new List<SecurityKey>();
        foreach (var key in section.GetSection("SigningKeys").GetChildren())
        {
            if (key["Issuer"] is not { } keyIssuer || !issuers.Contains(keyIssuer) || string.IsNullOrEmpty(key["Value"]))
            {
                continue;
            }

            byte[] material;
            try
            {
                material = Convert.FromBase64String(key["Value"]!);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{Section}:SigningKeys: the key '{key["Id"]}' is not base64 (run `dotnet user-jwts key --reset`).");
            }

            keys.Add(new SymmetricSecurityKey(material) { KeyId = key["Id"] });
        }

        return issuers.Count > 0 && audiences.Length > 0 && keys.Count > 0 ? new DevelopmentTokens(issuers, audiences, keys) : null;
    }

    /// <summary>Validate against these issuers, audiences and keys (HS256) instead of the platform's.</summary>
    public void Apply(TokenValidationParameters parameters)
    {
        parameters.ValidIssuer = null;
        parameters.ValidIssuers = Issuers;
        parameters.ValidAudience = null;
        parameters.ValidAudiences = Audiences;
        parameters.IssuerSigningKeys = Keys;
        parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
    }
}
