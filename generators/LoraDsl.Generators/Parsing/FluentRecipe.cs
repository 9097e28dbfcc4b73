using System.Collections.Generic;

namespace LoraDsl.Generators.Parsing;

/// <summary>What a <c>Configure</c> body states through the builders, in document order.</summary>
public sealed class FluentRecipe
{
    public List<SettingValue> Settings { get; } = [];

    public List<TargetModel> Targets { get; } = [];

    public List<DataFileReference> DataFiles { get; } = [];

    /// <summary>l.Exclude / l.RankPattern / l.AlphaPattern entries, in document order (they accumulate).</summary>
    public List<SelectionEntry> Selection { get; } = [];

    /// <summary>The adapters <c>r.StartFrom(s => s.Adapter(...))</c> names, in order.</summary>
    public List<StartReference> Starts { get; } = [];

    /// <summary>The last <c>r.ServeWith(Server.X(..))</c>, or null.</summary>
    public ServeTarget? Serving { get; set; }

    public void Add(FluentRecipe other)
    {
        Serving = other.Serving ?? Serving;
        Settings.AddRange(other.Settings);
        Targets.AddRange(other.Targets);
        DataFiles.AddRange(other.DataFiles);
        Selection.AddRange(other.Selection);
        Starts.AddRange(other.Starts);
    }
}
