using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Platform.Core.Jobs;

/// <summary>
/// The one place a job payload (<c>job_queue.payload</c>, jsonb) is read and written as its args record
/// (<see cref="IJobArgs{TSelf}"/>): snake_case property names (so <c>PlatformAccountId</c> is
/// <c>platform_account_id</c> on the wire), constructor parameters without a default required, nullable annotations
/// respected (a <c>null</c> where the record says non-null does not bind), unknown properties ignored. Used by the
/// enqueue client (serialize), the Workers' <c>JobHandler&lt;TArgs&gt;</c> (<see cref="Bind{TArgs}"/> once per attempt)
/// and the Api's <c>POST /api/jobs</c> (<see cref="Validate{TArgs}"/>), so all three agree on what a payload is.
/// </summary>
/// <remarks>
/// The rules beyond types (<see cref="IJobArgs{TSelf}.Validator"/>) are checked where payloads come from outside, the
/// Api; the Workers bind by type only, since every other payload is written by code from an args record or by the
/// SQL intake. A validator costs about 2 µs and 600 bytes per call, a tenth of a no-op job's CPU in the Workers.
/// </remarks>
public static class JobPayload
{
    /// <summary>The serializer options of every payload (read-only).</summary>
    public static readonly JsonSerializerOptions Options = CreateOptions();

    private static readonly IReadOnlyDictionary<string, string> NoErrors = new Dictionary<string, string>();

    /// <summary>The payload JSON of <paramref name="args"/> (its runtime type's properties, snake_case).</summary>
    public static string Serialize(IJobArgs args) => Serialize(args, args.GetType());

    /// <summary>The payload JSON of <paramref name="args"/>, whose runtime type is <paramref name="runtimeType"/> (taken once by a caller serializing many).</summary>
    public static string Serialize(IJobArgs args, Type runtimeType) => JsonSerializer.Serialize(args, Options.GetTypeInfo(runtimeType));

    /// <summary>
    /// Binds a payload to <typeparamref name="TArgs"/> by type: deserializes it. On failure the result names each
    /// offending field as the Api shows it (<c>payload</c>, <c>payload.delay_ms</c>, <c>payload.content_ids[3]</c>) with
    /// what it must be (<c>must be an integer</c>, <c>is required</c>).
    /// </summary>
    public static PayloadBinding<TArgs> Bind<TArgs>(JsonElement payload)
        where TArgs : class, IJobArgs<TArgs>
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return PayloadBinding<TArgs>.Failed(new Dictionary<string, string> { ["payload"] = "must be a JSON object" });
        }

        TArgs? args;
        try
        {
            args = payload.Deserialize<TArgs>(Options);
        }
        catch (JsonException error)
        {
            return PayloadBinding<TArgs>.Failed(Describe(typeof(TArgs), payload, error));
        }

        return args is null
            ? PayloadBinding<TArgs>.Failed(new Dictionary<string, string> { ["payload"] = "must be a JSON object" })
            : new PayloadBinding<TArgs>(args, NoErrors);
    }

    /// <summary>
    /// <see cref="Bind{TArgs}"/>, then the type's <see cref="IJobArgs{TSelf}.Validator"/> if it has one (FluentValidation
    /// property paths reported as <c>payload.content_ids</c>, <c>payload.content_ids[3]</c>).
    /// </summary>
    public static PayloadBinding<TArgs> Validate<TArgs>(JsonElement payload)
        where TArgs : class, IJobArgs<TArgs>
    {
        var binding = Bind<TArgs>(payload);
        if (binding.Args is null || TArgs.Validator is not { } validator)
        {
            return binding;
        }

        var result = validator.Validate(binding.Args);
        if (result.IsValid)
        {
            return binding;
        }

        var errors = new Dictionary<string, string>();
        foreach (var failure in result.Errors)
        {
            errors.TryAdd(WireName(failure.PropertyName), failure.ErrorMessage);
        }

        return PayloadBinding<TArgs>.Failed(errors);
    }

    /// <summary>What did not bind, from the serializer's JSON path (<c>$.content_ids[3]</c>) and the args type.</summary>
    private static Dictionary<string, string> Describe(Type argsType, JsonElement payload, JsonException error)
    {
        var properties = Options.GetTypeInfo(argsType).Properties;
        var path = error.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        if (path is null)
        {
            // Thrown at the object itself: a required property (a constructor parameter without a default) is missing.
            var missing = properties
                .Where(x => x.AssociatedParameter is { HasDefaultValue: false } && !payload.TryGetProperty(x.Name, out _))
                .ToDictionary(x => $"payload.{x.Name}", _ => "is required");
            return missing.Count > 0 ? missing : new Dictionary<string, string> { ["payload"] = "does not fit this job type" };
        }

        var bracket = path.IndexOf('[', StringComparison.Ordinal);
        var name = bracket < 0 ? path : path[..bracket];
        var property = properties.FirstOrDefault(x => x.Name == name);
        var message = property is null ? "has the wrong type" : "must be " + Expected(property.PropertyType, element: bracket >= 0);
        return new Dictionary<string, string> { [$"payload.{path}"] = message };
    }

    private static string Expected(Type type, bool element)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().FirstOrDefault() ?? typeof(object);
            return element ? Expected(item, element: false) : $"an array of {Plural(Expected(item, element: false))}";
        }

        return type switch
        {
            _ when type == typeof(Guid) => "a uuid",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "an integer",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an ISO 8601 timestamp",
            _ => "a valid value",
        };
    }

    private static string Plural(string singular) => singular switch
    {
        "true or false" => "booleans",
        _ => (singular.StartsWith("an ", StringComparison.Ordinal) ? singular[3..] : singular.StartsWith("a ", StringComparison.Ordinal) ? singular[2..] : singular) + "s",
    };

    /// <summary><c>ContentIds[3]</c> (a validator's property path) as <c>payload.content_ids[3]</c>.</summary>
    private static string WireName(string propertyPath)
    {
        var wire = new StringBuilder("payload");
        foreach (var segment in propertyPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            wire.Append('.').Append(JsonNamingPolicy.SnakeCaseLower.ConvertName(name)).Append(bracket < 0 ? string.Empty : segment[bracket..]);
        }

        return wire.ToString();
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { WriteWhatReadsBackDifferently } },
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Payloads leave out a property whose value is its constructor parameter's default when that default is the
    /// type's (<c>0</c>, <c>false</c>, <c>null</c>): <c>new EchoArgs()</c> is <c>{}</c>, not
    /// <c>{"delay_ms":0,"fail_times":0,"progress_steps":0}</c> (fewer bytes per job in the table, its WAL and the
    /// enqueue), and it binds back to the same value, since a missing property takes the parameter's default. Every
    /// other property is always written: a required parameter (no default: <c>{"slot":0}</c> must not become <c>{}</c>,
    /// which would not bind), a default other than the type's, a property no constructor parameter sets.
    /// </summary>
    private static void WriteWhatReadsBackDifferently(JsonTypeInfo typeInfo)
    {
        static bool Always(object args, object? value) => true;

        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            var parameter = property.AssociatedParameter;
            var omittable = parameter is { HasDefaultValue: true }
                && Equals(parameter.DefaultValue, property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null);
            if (!omittable)
            {
                property.ShouldSerialize = Always; // set explicitly, it overrides WhenWritingDefault
            }
        }
    }
}

/// <summary>The outcome of <see cref="JobPayload.Bind{TArgs}"/> or <see cref="JobPayload.Validate{TArgs}"/>: the args, or the fields that did not bind (field → what it must be).</summary>
public sealed record PayloadBinding<TArgs>(TArgs? Args, IReadOnlyDictionary<string, string> Errors)
    where TArgs : class
{
    /// <summary>The errors as one sentence, e.g. <c>payload.content_ids[3] must be a uuid</c>.</summary>
    public string Summary => string.Join("; ", Errors.Select(e => $"{e.Key} {e.Value}"));

    internal static PayloadBinding<TArgs> Failed(IReadOnlyDictionary<string, string> errors) => new(null, errors);
}
