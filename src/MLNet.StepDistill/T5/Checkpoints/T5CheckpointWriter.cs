namespace MLNet.StepDistill.T5;

/// <summary>
/// Writes a Hugging Face T5 checkpoint folder: <c>config.json</c>, <c>model.safetensors</c> (HF key names; the
/// aliases <c>encoder/decoder.embed_tokens.weight</c>, and <c>lm_head.weight</c> when tied, are left out as
/// <c>save_pretrained</c> does) and <c>spiece.model</c> when the model has a tokenizer.
/// </summary>
internal static class T5CheckpointWriter
{
    public static void Save(T5ForConditionalGeneration model, string folder)
    {
        Directory.CreateDirectory(folder);
        model.Config.Save(Path.Combine(folder, "config.json"));
        var weights = model.state_dict();
        SafetensorsFile.Write(Path.Combine(folder, "model.safetensors"), weights.Select(w => (w.Key, w.Value)));
        model.Tokenizer?.SaveModel(Path.Combine(folder, T5Tokenizer.ModelFileName));
    }
}
