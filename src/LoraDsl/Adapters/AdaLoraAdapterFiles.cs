namespace LoraDsl.Adapters;

/// <summary>AdaLoRA's tensor names: PEFT keeps A, E and B in ParameterDicts, so they carry no ".weight".</summary>
internal static class AdaLoraAdapterFiles
{
    public static string LoraA(string modulePath) => $"{AdapterFiles.TensorPrefix}{modulePath}.lora_A";

    public static string LoraE(string modulePath) => $"{AdapterFiles.TensorPrefix}{modulePath}.lora_E";

    public static string LoraB(string modulePath) => $"{AdapterFiles.TensorPrefix}{modulePath}.lora_B";
}
