namespace Platform.Api;

/// <summary>Names this assembly for hosts that start the Api in-process (the tests' WebApplicationFactory).</summary>
public sealed class ApiEntryPoint;
