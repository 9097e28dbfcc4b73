using System.CommandLine;

namespace LoraDsl.Cli.Commands;

/// <summary>`list`: the recipes this program declares.</summary>
static class ListCommand
{
    public static Command Create(RecipeCatalog catalog)
    {
        var command = new Command("list", "List the recipes this program declares");
        command.SetAction(_ =>
        {
            foreach (var (name, entry) in catalog.All)
            {
                var d = entry.Build(null);
                Console.WriteLine($"{name,-24} {entry.TypeName}  ({d.Architecture.Name}, {d.Model}, r={d.Lora.Rank}, {d.Data.Task})");
            }
            return 0;
        });
        return command;
    }
}
