using System.Collections.Immutable;
using System.Globalization;
using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Generators.Parsing;
using LoraDsl.Generators.Tests.Infrastructure;
using LoraDsl.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators.Tests;

/// <summary>
/// One table of targets run through the generator (its diagnostics and selection) and the runtime (TargetSet.Resolve):
/// both must select the same modules and roles, or fail with the same text.
/// </summary>
public sealed class TargetResolverAgreementTests
{
    // The target diagnostics: unknown module, missing role, layer out of range, layers on a shared module, malformed layers.
    static readonly string[] TargetIds = ["LORA001", "LORA002", "LORA006", "LORA008", "LORA014"];

    public sealed record Case(string Architecture, string Fluent, Func<TargetSpec> Runtime, int Depth, string Expected);

    static readonly Case[] Cases =
    [
        new("Llama", "Target(\"qproj\")", () => TargetSpec.ForName("qproj"), 4, "Architecture 'llama' has no module 'qproj'; did you mean 'q_proj'?"),
        new("Llama", "Target(\"q_proj\")", () => TargetSpec.ForName("q_proj"), 4, "q_proj"),
        new("Llama", "Target(\"self_attn.v_proj\")", () => TargetSpec.ForName("self_attn.v_proj"), 4, "v_proj"),
        new("Llama", "Target(Gpt2.CAttn)", () => TargetSpec.ForModule(Gpt2.CAttn), 4, "Architecture 'llama' has no module 'c_attn'; target one of: "),
        new("Gpt2", "Target(ModuleRole.Classifier)", () => TargetSpec.ForRole(ModuleRole.Classifier), 12, "Architecture 'gpt2' has no module with role Classifier; target one of its roles: Query, Key, Value, Output, "),
        new("Gpt2", "Target(ModuleRole.Value)", () => TargetSpec.ForRole(ModuleRole.Value), 12, "c_attn(Value)"),
        new("Phi3", "Target(ModuleRole.FfnUp)", () => TargetSpec.ForRole(ModuleRole.FfnUp), 4, "gate_up_proj(FfnUp)"),
        new("Phi3", "Target(Phi3.Presets.QV)", () => TargetSpec.ForPreset(Preset.QV), 4, "qkv_proj(Query, Value)"),
        new("Phi3", "Target(Phi3.Presets.AllLinear)", () => TargetSpec.ForPreset(Preset.AllLinear), 4, "qkv_proj, o_proj, gate_up_proj, down_proj"),
        new("Phi3", "Target(\"qkv_proj\")", () => TargetSpec.ForName("qkv_proj"), 4, "qkv_proj"),
        new("Llama", "TargetLayers(\"0..9\", Llama.QProj)", () => TargetSpec.ForModule(Llama.QProj, "0..9"), 4, "Layer selection '0..9' is outside the 4 layers of architecture 'llama'"),
        new("Llama", "TargetLayers(\"0-2\", \"q_proj\")", () => TargetSpec.ForName("q_proj", "0-2"), 4, "Layer selection '0-2' is malformed"),
        new("Llama", "TargetLayers(\"1\", Llama.EmbedTokens)", () => TargetSpec.ForModule(Llama.EmbedTokens, "1"), 4, "Module 'embed_tokens' of architecture 'llama' is not per-layer; remove the layer selection"),
        new("Llama", "TargetLayers(\"1..3\", ModuleRole.FfnDown)", () => TargetSpec.ForRole(ModuleRole.FfnDown, "1..3"), 4, "down_proj"),
    ];

    public static TheoryData<int> CaseIndices => [.. Enumerable.Range(0, Cases.Length)];

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public async Task Generator_and_runtime_resolve_the_target_alike(int index)
    {
        var c = Cases[index];
        var source = $$"""
            using LoraDsl.Architectures;
            using LoraDsl.Dsl;
            using LoraDsl.Recipes;

            [LoraRecipe("r", typeof({{c.Architecture}}), KnownDepth = {{c.Depth}})]
            public partial class R
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.{{c.Fluent}});
            }
            """;
        var compilation = TestCompilation.Create(("R.cs", source));
        var compileTime = (await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LoraDslAnalyzer())).GetAnalyzerDiagnosticsAsync())
            .Where(d => TargetIds.Contains(d.Id)).Select(d => d.GetMessage(CultureInfo.InvariantCulture)).ToList();

        var descriptor = c.Architecture switch { "Gpt2" => Gpt2.Descriptor, "Phi3" => Phi3.Descriptor, _ => Llama.Descriptor };
        var targets = TargetSet.Empty.Add(c.Runtime());
        string runTime;
        try
        {
            runTime = Describe(targets.Resolve(descriptor, c.Depth), descriptor);
        }
        catch (TargetResolutionException e)
        {
            runTime = e.Message;
        }

        Assert.StartsWith(c.Expected, runTime, StringComparison.Ordinal);
        if (compileTime.Count > 0)
        {
            Assert.Equal(runTime, compileTime[0]);
            return;
        }
        // No diagnostic: the generator's own selection (the one its duplicate and serving checks use) names the same modules and roles.
        var architecture = ArchitectureParser.Parse(compilation.GetTypeByMetadataName("LoraDsl.Architectures." + c.Architecture)!, default)!;
        var model = new TargetModel(KindOf(c.Runtime()), ValueOf(c.Runtime()), null, false, null, null, true);
        // A role subset that is the whole module (one role of a plain module, every role of a fused one) adapts it whole.
        var selected = RecipeValidator.Select(architecture, model)
            .Select(s => Describe(s.Module.Name, s.Module.IsFused && s.Roles?.Count < s.Module.Roles.Count ? s.Roles : null));
        Assert.Equal(runTime, string.Join(", ", selected));
    }

    static string Describe(TargetPlan plan, ArchitectureDescriptor descriptor) =>
        string.Join(", ", descriptor.Modules.Where(plan.Modules.Contains).Select(m => Describe(m.Name, plan.RolesOf(m)?.Select(r => r.ToString()).ToList())));

    static string Describe(string module, IReadOnlyList<string>? roles) => roles is null ? module : $"{module}({string.Join(", ", roles)})";

    static TargetKind KindOf(TargetSpec spec) =>
        spec.Module is not null ? TargetKind.Module : spec.Name is not null ? TargetKind.Name : spec.Role is not null ? TargetKind.Role : TargetKind.Preset;

    static string ValueOf(TargetSpec spec) => spec.Module?.Name ?? spec.Name ?? spec.Role?.ToString() ?? spec.Preset!.Value.ToString();
}
