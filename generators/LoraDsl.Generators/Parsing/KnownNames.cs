namespace LoraDsl.Generators.Parsing;

/// <summary>Metadata names of the runtime types the DSL is written with.</summary>
public static class KnownNames
{
    public const string ArchitectureAttribute = "LoraDsl.Dsl.LoraArchitectureAttribute";
    public const string ModuleAttribute = "LoraDsl.Dsl.LoraModuleAttribute";
    public const string FusedModuleAttribute = "LoraDsl.Dsl.LoraFusedModuleAttribute";
    public const string RecipeAttribute = "LoraDsl.Recipes.LoraRecipeAttribute";
    public const string LoraAttribute = "LoraDsl.Recipes.LoraAttribute";
    public const string TargetAttribute = "LoraDsl.Recipes.TargetAttribute";
    public const string TargetPresetAttribute = "LoraDsl.Recipes.TargetPresetAttribute";
    public const string SettingAttribute = "LoraDsl.Recipes.SettingAttribute";
    public const string LoraBuilder = "LoraDsl.Recipes.LoraBuilder";
    public const string ArchitectureModule = "LoraDsl.Dsl.ArchitectureModule";
    public const string TargetSet = "LoraDsl.Dsl.TargetSet";
    public const string ModuleRole = "LoraDsl.Dsl.ModuleRole";
    public const string Preset = "LoraDsl.Dsl.Preset";
    public const string ConfigureMethod = "Configure";
    public const string Server = "LoraDsl.Recipes.Server";
}
