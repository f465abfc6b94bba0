using FastEndpoints;
using FluentValidation.Results;
using Npgsql;
using NpgsqlTypes;
using Platform.Api.Auth;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Account.UpdateProfile;

/// <summary>
/// <c>PATCH /api/me/profile</c>: sets my username, display name, bio, avatar, website, social links and whether the
/// profile is public, in one statement under row-level security. 200 with <see cref="MeResponse"/>; 400 problem naming
/// every bad field (nothing applied); 409 when the username is taken (case-insensitively) or was given up by another
/// account less than 90 days ago. A public profile needs a username. A renamed profile's old <c>/@{username}</c>
/// answers 301 to the new one for 90 days (migration 015). The public cache and sitemap drop the old profile.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, PublicCache cache) : Endpoint<Request, MeResponse>
{
    public override void Configure()
    {
        Patch("/api/me/profile");
        Description(d => d.WithTags("Account").ProducesProblemDetails(400).ProducesProblemDetails(409));
        Summary(s => s.Summary = "Edit my public profile (username, display name, bio, avatar, links, public or not)");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var errors = new List<(string Field, string Reason)>();
        var patch = ProfilePatch.Parse(request, errors);
        Refuse(errors);

        var userId = User.UserId()!.Value;
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        List<string> invalidated = [.. DiscoveryCacheTags.CreatorPage(userId)];
        if (!patch!.IsEmpty)
        {
            string? username;
            bool isPublic;
            await using (var current = scope.CreateCommand("SELECT username, is_public FROM users WHERE id = @id FOR UPDATE"))
            {
                current.Parameters.AddWithValue("id", userId);
                await using var reader = await current.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                username = reader.IsDBNull(0) ? null : reader.GetString(0);
                isPublic = reader.GetBoolean(1);
            }

            if (username is not null)
            {
                invalidated.Add(DiscoveryCacheTags.Username(username)); // a rename: the old name's pages answer 301
            }

            if (patch.Username.IsSet)
            {
                username = patch.Username.Value;
            }

            if (username is not null)
            {
                invalidated.Add(DiscoveryCacheTags.Username(username)); // a cached 404 of the name becomes the profile
            }

            if ((patch.IsPublic.Value ?? isPublic) && username is null)
            {
                errors.Add(patch.Username.IsSet && !patch.IsPublic.IsSet
                    ? ("username", "a public profile needs a username: make it private first")
                    : ("is_public", "a public profile needs a username"));
                Refuse(errors);
            }

            try
            {
                await using var update = Update(scope, userId, patch);
                await update.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await Send.ResultAsync(Http.Problems.Conflict($"The username '{username}' is taken."));
                return; // the scope rolls back
            }
            catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.CheckViolation)
            {
                // ProfileRules mirror the schema's checks; should they ever drift, the answer is still a 400.
                ValidationFailures.Add(new ValidationFailure(ColumnOf(error.ConstraintName), $"refused by the database ({error.ConstraintName})"));
                ThrowIfAnyErrors();
            }
        }

        var me = await MeResponse.ReadAsync(scope, userId, User.IsAdmin(), ct);
        await scope.CommitAsync(ct);
        if (!patch.IsEmpty)
        {
            await cache.InvalidateAsync(invalidated, ct); // pages at once; lists follow, debounced
        }

        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(me, ct);
    }

    private static string ColumnOf(string? constraint) => constraint switch
    {
        "users_username_format" => "username",
        "users_bio_length" => "bio",
        "users_social_links_is_object" => "social_links",
        _ => "profile",
    };

    private void Refuse(List<(string Field, string Reason)> errors)
    {
        foreach (var (field, reason) in errors)
        {
            ValidationFailures.Add(new ValidationFailure(field, reason));
        }

        ThrowIfAnyErrors();
    }

    private static NpgsqlCommand Update(UserScope scope, Guid userId, ProfilePatch patch)
    {
        var command = scope.CreateCommand(string.Empty);
        var sets = new List<string>();
        void Set<T>(string column, Change<T> change, NpgsqlDbType type, string cast = "")
        {
            if (change.IsSet)
            {
                sets.Add($"{column} = @{column}{cast}");
                command.Parameters.Add(new NpgsqlParameter(column, type) { Value = (object?)change.Value ?? DBNull.Value });
            }
        }

        Set("username", patch.Username, NpgsqlDbType.Text);
        Set("display_name", patch.DisplayName, NpgsqlDbType.Text);
        Set("bio", patch.Bio, NpgsqlDbType.Text);
        Set("avatar_url", patch.AvatarUrl, NpgsqlDbType.Text);
        Set("website_url", patch.WebsiteUrl, NpgsqlDbType.Text);
        Set("social_links", patch.SocialLinks, NpgsqlDbType.Text, "::jsonb");
        Set("is_public", patch.IsPublic, NpgsqlDbType.Boolean);
        command.CommandText = $"UPDATE users SET {string.Join(", ", sets)} WHERE id = @id";
        command.Parameters.AddWithValue("id", userId);
        return command;
    }
}
