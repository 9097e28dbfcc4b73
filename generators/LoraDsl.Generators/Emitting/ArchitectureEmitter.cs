using System.Globalization;
using System.Linq;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>
/// Writes <c>{Architecture}.Modules.g.cs</c>: typed handles, the descriptor and the presets. Placing adapters is the
/// runtime's (<c>TargetPlacement.Resolve</c> over the descriptor), so no generated code walks layers.
/// </summary>
public static class ArchitectureEmitter
{
    private const string Dsl = "global::LoraDsl.Dsl.";

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
        EmitPresets(writer);

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

    private static void EmitPresets(SourceWriter writer)
    {
        writer.Line("/// <summary>The common target sets, by role (the same on every architecture).</summary>");
        writer.Open("public static class Presets");
        foreach (var preset in LoraDsl.Dsl.TargetRules.PresetNames)
            writer.Line($"public static {Dsl}TargetSet {preset} {{ get; }} = {Dsl}TargetSet.Of({Dsl}Preset.{preset});");
        writer.Close();
    }
}
