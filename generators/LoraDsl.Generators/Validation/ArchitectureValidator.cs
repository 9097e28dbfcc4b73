using System.Collections.Generic;
using System.Linq;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>Checks an architecture declaration: path templates (LORA011) and unique module names (LORA012).</summary>
public static class ArchitectureValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(ArchitectureModel architecture)
    {
        var seen = new HashSet<string>();
        foreach (var module in architecture.Modules)
        {
            if (!seen.Add(module.Name))
                yield return new DiagnosticInfo(DiagnosticDescriptors.DuplicateModuleName, module.NameLocation, [architecture.Name, module.Name]);
            if (PathProblem(module.PathTemplate) is { } problem)
                yield return new DiagnosticInfo(DiagnosticDescriptors.MalformedPathTemplate, module.PathLocation, [module.Name, module.PathTemplate, problem]);
        }
    }

    /// <summary>Why a template is malformed, or null: dot-separated identifiers, at most one "{layer}" segment.</summary>
    public static string? PathProblem(string template)
    {
        if (template.Length == 0) return "it is empty";
        var segments = template.Split('.');
        if (segments.Any(s => s.Length == 0)) return "it has an empty segment (a leading, trailing or doubled '.')";
        var placeholders = 0;
        foreach (var segment in segments)
        {
            if (segment == ModuleModel.LayerPlaceholder)
            {
                placeholders++;
                continue;
            }
            if (segment.Contains('{') || segment.Contains('}')) return $"segment '{segment}' has a placeholder other than {{layer}}";
            if (!segment.All(c => char.IsLetterOrDigit(c) || c == '_')) return $"segment '{segment}' has characters other than letters, digits and '_'";
        }
        return placeholders > 1 ? "it has more than one {layer}" : null;
    }
}
