namespace LoraDsl.Generators.Parsing;

/// <summary>
/// <c>r.ServeWith(Server.Vllm(maxLoraRank: 16))</c> as values: the server as <c>lint --for</c> names it, its rank limit
/// (null: none, or not a constant) and where the call is written.
/// </summary>
public sealed record ServeTarget(string Server, int? MaxLoraRank, SourceLocation? Location);
