namespace LoraDsl.Modules;

/// <summary>
/// A module host whose fused child splits its outputs into parts of unequal size (Phi-3's qkv_proj under
/// grouped-query attention: more query rows than key or value rows), so a role's rows cannot be found by equal division.
/// </summary>
internal interface IFusedOutputs
{
    /// <summary>The output rows of each part of child <paramref name="name"/> in role order, or null for equal parts.</summary>
    IReadOnlyList<long>? FusedPartRows(string name);
}
