namespace LoraDsl.Generators.Parsing;

/// <summary>
/// One entry of PEFT's accumulating selection options stated in Configure: <c>l.Exclude(..)</c> (lora.exclude_modules,
/// <see cref="Value"/> null) or <c>l.RankPattern(key, r)</c> / <c>l.AlphaPattern(key, alpha)</c>. <see cref="Key"/> is the
/// PEFT name or pattern key (a typed handle's as the runtime builds it); null when not a compile-time constant.
/// </summary>
public sealed record SelectionEntry(string Option, string? Key, double? Value, SourceLocation? Location);
