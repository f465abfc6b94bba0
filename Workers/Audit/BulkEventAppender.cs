using Marten;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Audit;

namespace Platform.Workers.Audit;

/// <summary>
/// Appends a batch of events to many Marten streams in one statement, with the rows Marten's own quick append
/// (<c>mt_quick_append_events</c>, one call per stream) would write: the stream row created at, or moved forward to,
/// its new version, and one <c>mt_events</c> row per event with the next version of its stream, a sequence number
/// in batch order, the event type alias, the .NET type and the body Marten's serializer reads back. Streams are read
/// back through Marten as usual (<c>FetchStreamAsync</c>); appending through a session afterwards continues the
/// versions. The projector's outbox replays thousands of events per batch spread over thousands of streams (one per
/// job), where one function call per stream was most of the projection's cost.
/// <para>
/// The events come either from C# (<see cref="AppendAsync"/>: bodies from Marten's serializer, sent as arrays) or from
/// a query (<see cref="AppendFromQueryAsync"/>: rows and bodies built by the server, nothing crosses the wire).
/// </para>
/// </summary>
public sealed class BulkEventAppender
{
    private readonly Dictionary<Type, (string Alias, string DotNetType)> mappings = [];
    private readonly ISerializer serializer;
    private readonly string sql;

    public BulkEventAppender(IDocumentStore store)
    {
        serializer = store.Options.Serializer();
        foreach (var mapping in store.Options.Events.AllKnownEventTypes())
        {
            mappings[mapping.EventType] = (mapping.EventTypeName, mapping.DotNetTypeName);
        }

        sql = Statement(
            """
            SELECT e.stream_id, e.id, e.type, e.dotnet_type, e.data, e.n
            FROM unnest(@streams, @ids, @types, @dotnet_types, @bodies)
                 WITH ORDINALITY AS e(stream_id, id, type, dotnet_type, data, n)
            """);
    }

    /// <summary>
    /// The append statement over <paramref name="input"/>: a query of the columns <c>stream_id</c> (uuid), <c>id</c>
    /// (the event's uuid), <c>type</c> (Marten's alias), <c>dotnet_type</c>, <c>data</c> (jsonb body) and <c>n</c>
    /// (bigint, the order of the events: their sequence numbers and stream versions follow it). A row whose
    /// <c>type</c> is null fails the statement (<c>mt_events.type</c> is NOT NULL): an unknown event is never dropped.
    /// </summary>
    public static string Statement(string input)
    {
        var schema = AuditStore.Schema;
        return $"""
            WITH input AS (
            {input}
            ), counts AS (
                SELECT i.stream_id, count(*) AS added FROM input i GROUP BY i.stream_id
            ), streams AS (
                INSERT INTO {schema}.mt_streams AS s (id, type, version, timestamp, tenant_id)
                SELECT c.stream_id, NULL, c.added, now(), '*DEFAULT*' FROM counts c ORDER BY c.stream_id
                ON CONFLICT (id) DO UPDATE SET version = s.version + excluded.version, timestamp = now()
                RETURNING s.id, s.version, s.is_archived
            )
            INSERT INTO {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
            SELECT nextval('{schema}.mt_events_sequence'), o.id, o.stream_id, o.version, o.data, o.type, '*DEFAULT*',
                   (now() AT TIME ZONE 'utc'), o.dotnet_type, false
            FROM (
                SELECT i.id, i.stream_id, i.data, i.type, i.dotnet_type, i.n,
                       st.version - c.added + row_number() OVER (PARTITION BY i.stream_id ORDER BY i.n) AS version
                FROM input i
                JOIN counts c ON c.stream_id = i.stream_id
                JOIN streams st ON st.id = i.stream_id AND NOT coalesce(st.is_archived, false)
                ORDER BY i.n
            ) o
            """;
    }

    /// <summary>Marten's type alias and .NET type name of a registered event type.</summary>
    /// <exception cref="InvalidOperationException">The type is not a registered audit event type.</exception>
    public (string Alias, string DotNetType) TypeOf(Type eventType) =>
        mappings.TryGetValue(eventType, out var known)
            ? known
            : throw new InvalidOperationException($"{eventType.Name} is not a registered audit event type.");

    /// <summary>Appends <paramref name="events"/> (stream id and event, in order) inside the caller's transaction.</summary>
    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<(Guid Stream, object Event)> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        var streams = new Guid[events.Count];
        var ids = new Guid[events.Count];
        var types = new string[events.Count];
        var dotnetTypes = new string[events.Count];
        var bodies = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var (stream, @event) = events[i];
            var (alias, dotnetType) = TypeOf(@event.GetType());
            streams[i] = stream;
            ids[i] = Guid.CreateVersion7();
            types[i] = alias;
            dotnetTypes[i] = dotnetType;
            bodies[i] = serializer.ToJson(@event);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("streams", streams);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("types", types);
        command.Parameters.AddWithValue("dotnet_types", dotnetTypes);
        command.Parameters.Add(new NpgsqlParameter("bodies", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = bodies });
        var appended = await command.ExecuteNonQueryAsync(cancellationToken);
        if (appended != events.Count)
        {
            throw new InvalidOperationException($"Appended {appended} of {events.Count} audit events (an archived stream?).");
        }
    }

    /// <summary>
    /// Runs <paramref name="statement"/> (a <see cref="Statement"/> over a query of the rows to append) inside the
    /// caller's transaction; returns the number of events appended.
    /// </summary>
    public static async Task<int> AppendFromQueryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string statement, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(statement, connection, transaction);
        parameters(command.Parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
