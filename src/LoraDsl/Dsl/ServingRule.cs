// Linked into generators/LoraDsl.Generators: one rule of one or more LoRA servers, with where it was read.
using System;
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>
/// One thing some servers cannot load (or load wrong): which servers, the source file and function that says so, the
/// recipe setting that causes it (null: the targets), and a test that returns what breaks the rule, or null.
/// </summary>
internal sealed class ServingRule
{
    readonly Func<ServedAdapter, int?, string?> finding;

    public ServingRule(string id, string settingKey, IReadOnlyDictionary<string, string> sources, Func<ServedAdapter, int?, string?> finding)
    {
        Id = id;
        SettingKey = settingKey;
        Sources = sources;
        this.finding = finding;
    }

    /// <summary>Short name of the rule: dora, rank, modules_to_save, ...</summary>
    public string Id { get; }

    /// <summary>The recipe setting that breaks it (lora.use_dora, lora.r, ...), or "targets" when the targeted modules do.</summary>
    public string SettingKey { get; }

    /// <summary>Server name → the server's source file and function that holds the rule.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    /// <summary>Whether <paramref name="server"/> has this rule.</summary>
    public bool AppliesTo(string server) => Sources.ContainsKey(server);

    /// <summary>What of <paramref name="adapter"/> breaks the rule under a rank limit of <paramref name="maxLoraRank"/>, or null.</summary>
    public string? Finding(ServedAdapter adapter, int? maxLoraRank) => finding(adapter, maxLoraRank);
}
