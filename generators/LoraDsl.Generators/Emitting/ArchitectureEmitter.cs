using System.Globalization;
using System.Linq;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>Writes <c>{Architecture}.Modules.g.cs</c>: handles, descriptor, role table, presets and ApplyLora.</summary>
public static class ArchitectureEmitter
{
    private const string Dsl = "global::LoraDsl.Dsl.";
    private static readonly string[] RoleOrder = ["Query", "Key", "Value", "Output", "FfnGate", "FfnUp", "FfnDown", "Embedding", "Head", "Classifier", "Norm"];
    private static readonly string[] Presets = ["QV", "QKVO", "FeedForward", "AllLinear"];

    public static string HintName(ArchitectureModel architecture) =>
        (architecture.Namespace is null ? "" : architecture.Namespace + ".") + architecture.ClassName + ".Modules.g.cs";

    public static string Emit(ArchitectureModel architecture)
    {
        var writer = new SourceWriter().Header();
        if (architecture.Namespace is not null) writer.Open("namespace " + architecture.Namespace);
        writer.Line($"/// <summary>Generated from the [LoraArchitecture(\"{architecture.Name}\")] declaration.</summary>");
        writer.Open("partial class " + architecture.ClassName);

        foreach (var module in architecture.Modules)
        {
            var roles = string.Join(", ", module.Roles.Select(r => Dsl + "ModuleRole." + r));
            writer.Line($"/// <summary><c>{module.PathTemplate}</c> ({module.Kind}, {string.Join(" | ", module.Roles)}).</summary>");
            writer.Line($"public static {Dsl}ArchitectureModule {module.HandleName} {{ get; }} = new(");
            writer.Line($"    {Literals.String(architecture.Name)}, {Literals.String(module.Name)}, {Literals.String(module.PathTemplate)},");
            writer.Line($"    {Dsl}ModuleKind.{module.Kind}, new[] {{ {roles} }});");
            writer.Line();
        }

        EmitDescriptor(writer, architecture);
        EmitRoleTable(writer, architecture);
        EmitPresets(writer);
        EmitApplyLora(writer, architecture);

        writer.Close();
        if (architecture.Namespace is not null) writer.Close();
        return writer.ToString();
    }

    private static void EmitDescriptor(SourceWriter writer, ArchitectureModel architecture)
    {
        var modelTypes = string.Join(", ", architecture.ModelTypes.Select(Literals.String));
        var depth = architecture.KnownDepth?.ToString(CultureInfo.InvariantCulture) ?? "null";
        writer.Line("/// <summary>The architecture as a run-time object: name, model types, depth field and modules.</summary>");
        writer.Line($"public static {Dsl}ArchitectureDescriptor Descriptor {{ get; }} = new(");
        writer.Line($"    {Literals.String(architecture.Name)},");
        writer.Line($"    new string[] {{ {modelTypes} }},");
        writer.Line($"    {Literals.String(architecture.DepthField)},");
        writer.Line($"    {depth},");
        writer.Line($"    new[] {{ {string.Join(", ", architecture.Modules.Select(m => m.HandleName))} }});");
        writer.Line();
    }

    private static void EmitRoleTable(SourceWriter writer, ArchitectureModel architecture)
    {
        writer.Line("/// <summary>The modules playing <paramref name=\"role\"/>, in declaration order.</summary>");
        writer.Line($"public static global::System.Collections.Generic.IReadOnlyList<{Dsl}ArchitectureModule> ModulesWithRole({Dsl}ModuleRole role) => role switch");
        writer.Open();
        foreach (var role in RoleOrder)
        {
            var modules = architecture.ModulesWithRole(role).Select(m => m.HandleName).ToList();
            if (modules.Count > 0) writer.Line($"{Dsl}ModuleRole.{role} => new[] {{ {string.Join(", ", modules)} }},");
        }
        writer.Line($"_ => global::System.Array.Empty<{Dsl}ArchitectureModule>(),");
        writer.Close("};");
        writer.Line();
    }

    private static void EmitPresets(SourceWriter writer)
    {
        writer.Line("/// <summary>The common target sets, by role.</summary>");
        writer.Open("public static class Presets");
        foreach (var preset in Presets)
            writer.Line($"public static {Dsl}TargetSet {preset} {{ get; }} = {Dsl}TargetSet.Of({Dsl}Preset.{preset});");
        writer.Close();
        writer.Line();
    }

    private static void EmitApplyLora(SourceWriter writer, ArchitectureModel architecture)
    {
        writer.Line("/// <summary>");
        writer.Line("/// Places an adapter on every module <paramref name=\"targets\"/> selects, layer by layer; returns how many.");
        writer.Line("/// </summary>");
        writer.Line($"/// <exception cref=\"{Dsl}TargetResolutionException\">A target or model type this architecture does not have.</exception>");
        writer.Line("public static int ApplyLora(");
        writer.Line("    global::LoraDsl.Models.PretrainedModel model,");
        writer.Line("    global::LoraDsl.Lora.LoraOptions options,");
        writer.Line($"    {Dsl}TargetSet targets,");
        writer.Line($"    {Dsl}IAdapterPlacer placer)");
        writer.Open();
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(model);");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(options);");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(targets);");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(placer);");
        writer.Line("if (!Descriptor.Supports(model.Config.ModelType))");
        writer.Line($"    throw new {Dsl}TargetResolutionException($\"Model type '{{model.Config.ModelType}}' ({{model.Config.SourcePath ?? \"config\"}}) is not a {architecture.Name} model; expected one of: {string.Join(", ", architecture.ModelTypes)}.\");");
        writer.Line("options.Validate();");
        writer.Line("var depth = model.Config.NumLayers;");
        writer.Line("var plan = targets.Resolve(Descriptor, depth);");
        writer.Line("var placed = 0;");

        var perLayer = architecture.Modules.Where(m => m.IsPerLayer).ToList();
        if (perLayer.Count > 0)
        {
            writer.Line();
            writer.Open("for (var layer = 0; layer < depth; layer++)");
            foreach (var module in perLayer) EmitPlacement(writer, module, "layer");
            writer.Close();
        }
        foreach (var module in architecture.Modules.Where(m => !m.IsPerLayer))
        {
            writer.Line();
            EmitPlacement(writer, module, null);
        }
        writer.Line();
        writer.Line("return placed;");
        writer.Close();
    }

    private static void EmitPlacement(SourceWriter writer, ModuleModel module, string? layer)
    {
        var part = Identifiers.ToCamelCase(module.Name) + "Part";
        var path = layer is null ? Literals.String(module.PathTemplate) : Literals.InterpolatedPath(module.PathTemplate, layer);
        writer.Open($"if (plan.Selects({module.HandleName}, {layer ?? "null"}, out var {part}))");
        writer.Line($"placer.Place({path}, {Dsl}ModuleKind.{module.Kind}, {part});");
        writer.Line("placed++;");
        writer.Close();
    }
}
