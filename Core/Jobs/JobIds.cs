using System.Buffers.Binary;

namespace Platform.Core.Jobs;

/// <summary>
/// Job ids (<c>job_queue.id</c>) made by the enqueue client: RFC 9562 version 7 UUIDs, the layout of the database's
/// <c>uuid_v7()</c> (migration 008): 48 bits of Unix time in milliseconds, version 7, variant <c>10</c>, random bits.
/// </summary>
public static class JobIds
{
    /// <summary>The low 62 bits of an id: its random field after the two variant bits (RFC 9562 §5.7, <c>rand_b</c>).</summary>
    private const ulong RandB = (1UL << 62) - 1;

    /// <summary>
    /// <paramref name="count"/> ids of this millisecond, strictly ascending (as PostgreSQL compares uuids, byte by
    /// byte): one random id, then each next one is it plus 1 in <c>rand_b</c>, used as a counter (RFC 9562 §6.2,
    /// method 2, "monotonic random"). Its start leaves 2^61 steps of room, so the counter never carries into the
    /// variant bits. A batch's rows then arrive at the right edge of every btree keyed by the id (the primary key,
    /// the claim index's tie-breaker, the job log's index) instead of in random order inside the last page: no
    /// descent from the root per row, and pages split as an append does, full.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static Guid[] Ascending(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var ids = new Guid[count];
        if (count == 0)
        {
            return ids;
        }

        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        var high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) & (RandB >> 1); // leaves the top bit of rand_b as headroom
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], (1UL << 63) | (low + (ulong)i)); // variant 10
            ids[i] = new Guid(bytes, bigEndian: true);
        }

        return ids;
    }
}
