using System.Text.Json.Nodes;
using LoraDsl.Models;

namespace LoraDsl.Tests.Lora.TestModels;

sealed class TinyConfig : ModelConfig
{
    public static TinyConfig Create(string modelType, int layers, int hidden, int vocab) => new()
    {
        ModelType = modelType,
        NumLayers = layers,
        HiddenSize = hidden,
        VocabSize = vocab,
        Raw = new JsonObject { ["_name_or_path"] = $"tiny-{modelType}", ["model_type"] = modelType },
    };
}
