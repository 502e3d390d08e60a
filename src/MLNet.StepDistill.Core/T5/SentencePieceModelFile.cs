using System.Text;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The few parts of a SentencePiece <c>ModelProto</c> (protobuf) the T5 tokenizer needs: each piece and its type,
/// and the special ids of the trainer spec. Also repairs the one thing Microsoft.ML.Tokenizers cannot load.
/// </summary>
internal sealed class SentencePieceModelFile
{
    // ModelProto: 1 = repeated SentencePiece pieces, 2 = TrainerSpec trainer_spec.
    // SentencePiece: 1 = piece, 3 = type. TrainerSpec: 40..43 = unk/bos/eos/pad id, 45..48 = unk/bos/eos/pad piece.
    private const int PiecesField = 1;
    private const int TrainerSpecField = 2;
    private const int BosIdField = 41;
    private const int BosPieceField = 46;

    // ModelProto: 3 = NormalizerSpec normalizer_spec, 5 = NormalizerSpec denormalizer_spec. NormalizerSpec: 1 = name,
    // 6 = normalization_rule_tsv (the text fields of it).
    private const int NormalizerSpecField = 3;
    private const int DenormalizerSpecField = 5;

    /// <summary>The smallest vocabulary accepted: T5's pad, eos and unk pieces and at least five text pieces.</summary>
    public const int MinPieces = 8;

    /// <summary>The largest model file read (64 MiB; mT5's, with 250,000 pieces, is 4 MiB).</summary>
    public const int MaxFileBytes = 64 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private SentencePieceModelFile(byte[] bytes)
    {
        Bytes = bytes;
    }

    /// <summary>The type of a piece, as in <c>sentencepiece_model.proto</c>.</summary>
    public enum PieceType
    {
        /// <summary>An ordinary piece.</summary>
        Normal = 1,

        /// <summary>The unknown piece.</summary>
        Unknown = 2,

        /// <summary>A control symbol (pad, eos, bos): never produced from text, invisible when decoding.</summary>
        Control = 3,

        /// <summary>A user-defined symbol.</summary>
        UserDefined = 4,

        /// <summary>An unused piece.</summary>
        Unused = 5,

        /// <summary>A byte-fallback piece.</summary>
        Byte = 6,
    }

    public byte[] Bytes { get; }

    public List<(string Piece, PieceType Type)> Pieces { get; } = [];

    public int UnkId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public int PadId { get; private set; } = -1;

    public string BosPiece { get; private set; } = "<s>";

    public string EosPiece { get; private set; } = "</s>";

    public string PadPiece { get; private set; } = "<pad>";

    /// <exception cref="ModelFormatException">
    /// Not a SentencePiece model (malformed protobuf, text that is not UTF-8, an unknown piece type), fewer than
    /// <see cref="MinPieces"/> pieces, or special ids outside the vocabulary; the message names the file and the field.
    /// </exception>
    public static SentencePieceModelFile Parse(byte[] bytes, string source)
    {
        if (bytes.Length > MaxFileBytes)
        {
            throw new ModelFormatException(source, $"the SentencePiece model is {bytes.Length} bytes; the limit is {MaxFileBytes}.");
        }

        var model = new SentencePieceModelFile(bytes);
        try
        {
            var reader = new Reader(bytes, 0, bytes.Length);
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.Tag();
                if (field == PiecesField && wire == 2)
                {
                    model.Pieces.Add(model.ParsePiece(reader.Bytes()));
                }
                else if (field == TrainerSpecField && wire == 2)
                {
                    model.ParseTrainerSpec(reader.Bytes());
                }
                else if (field is NormalizerSpecField or DenormalizerSpecField && wire == 2)
                {
                    CheckNormalizerSpec(reader.Bytes());
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidDataException or OverflowException)
        {
            throw new ModelFormatException(source, $"not a SentencePiece model ({ex.Message}).", ex);
        }

        var count = model.Pieces.Count;
        if (count < MinPieces)
        {
            throw new ModelFormatException(source, $"the SentencePiece model has {count} pieces; a usable vocabulary has at least {MinPieces}.");
        }

        foreach (var (field, id, optional) in new[] { ("unk_id", model.UnkId, false), ("eos_id", model.EosId, false), ("pad_id", model.PadId, true), ("bos_id", model.BosId, true) })
        {
            if (id >= count || (id < 0 && !(optional && id == -1)))
            {
                throw new ModelFormatException(source, $"trainer_spec.{field} = {id} is outside the vocabulary of {count} pieces{(optional ? " (-1 means none)" : "")}.");
            }
        }

        if (model.Pieces[model.UnkId].Type != PieceType.Unknown)
        {
            throw new ModelFormatException(source, $"trainer_spec.unk_id = {model.UnkId} names piece \"{model.Pieces[model.UnkId].Piece}\", which is not of type UNKNOWN.");
        }

        return model;
    }

    /// <summary>
    /// The model bytes Microsoft.ML.Tokenizers can load. Its unigram loader (2.0.1 and 3.0.0 alike) indexes its piece
    /// table with bos_id, so T5's models (bos_id = -1) throw IndexOutOfRangeException. The repair sets bos_id/bos_piece
    /// to an existing control piece (pad, else eos); the tokenizer is only ever asked not to add BOS, so the alias is
    /// never emitted. The trainer_spec is rewritten whole, as one message holding every field the file had (all of its
    /// trainer_spec occurrences merged, as protobuf reads them) with the two bos fields replaced: appending a second
    /// trainer_spec that sets bos alone worked with 2.0.1, which merged them, but 3.0.0 keeps the last occurrence only,
    /// so unk_id fell back to its default 0 and unknown text came out as pad (Hugging Face gives unk, 2).
    /// </summary>
    public byte[] ForMicrosoftTokenizer()
    {
        if (BosId >= 0)
        {
            return Bytes;
        }

        var (aliasId, aliasPiece) = PadId >= 0 ? (PadId, PadPiece) : (EosId, EosPiece);

        // Every trainer_spec field but the bos ones, in the file's order, then the alias.
        var spec = new List<byte>();
        var reader = new Reader(Bytes, 0, Bytes.Length);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field != TrainerSpecField || wire != 2)
            {
                reader.Skip(wire);
                continue;
            }

            var segment = reader.Bytes();
            var inner = new Reader(segment.Array!, segment.Offset, segment.Offset + segment.Count);
            while (!inner.AtEnd)
            {
                var start = inner.Position;
                var (specField, specWire) = inner.Tag();
                inner.Skip(specWire);
                if (specField is not (BosIdField or BosPieceField))
                {
                    spec.AddRange(new ArraySegment<byte>(Bytes, start, inner.Position - start));
                }
            }
        }

        WriteVarint(spec, (ulong)(BosIdField << 3));
        WriteVarint(spec, (ulong)aliasId);
        var piece = Encoding.UTF8.GetBytes(aliasPiece);
        WriteVarint(spec, (ulong)((BosPieceField << 3) | 2));
        WriteVarint(spec, (ulong)piece.Length);
        spec.AddRange(piece);

        // The model's other fields as they are, with the one trainer_spec where the first one was.
        var patched = new List<byte>(Bytes.Length + 16);
        var specWritten = false;
        reader = new Reader(Bytes, 0, Bytes.Length);
        while (!reader.AtEnd)
        {
            var start = reader.Position;
            var (field, wire) = reader.Tag();
            reader.Skip(wire);
            if (field == TrainerSpecField && wire == 2)
            {
                if (!specWritten)
                {
                    WriteSpec();
                }
            }
            else
            {
                patched.AddRange(new ArraySegment<byte>(Bytes, start, reader.Position - start));
            }
        }

        if (!specWritten)
        {
            WriteSpec();
        }

        return patched.ToArray();

        void WriteSpec()
        {
            WriteVarint(patched, (TrainerSpecField << 3) | 2);
            WriteVarint(patched, (ulong)spec.Count);
            patched.AddRange(spec);
            specWritten = true;
        }
    }

    private (string, PieceType) ParsePiece(ArraySegment<byte> bytes)
    {
        var reader = new Reader(bytes.Array!, bytes.Offset, bytes.Offset + bytes.Count);
        var piece = "";
        var type = PieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                piece = StrictUtf8.GetString(reader.Bytes());
            }
            else if (field == 3 && wire == 0)
            {
                var value = reader.Varint();
                type = value is >= 1 and <= 6 ? (PieceType)(int)value : throw new InvalidDataException($"piece {Pieces.Count} has type {value}; known types are 1 to 6");
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return (piece, type);
    }

    /// <summary>
    /// The normalizer's text fields must be UTF-8, as protobuf strings are. Microsoft.ML.Tokenizers 2.0.1 rejected a
    /// damaged name on load; 3.0.0 loads it without complaint, so the check is here: a damaged file is an error naming it.
    /// </summary>
    private static void CheckNormalizerSpec(ArraySegment<byte> bytes)
    {
        var reader = new Reader(bytes.Array!, bytes.Offset, bytes.Offset + bytes.Count);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field is 1 or 6 && wire == 2)
            {
                var text = reader.Bytes();
                if (!System.Text.Unicode.Utf8.IsValid(text))
                {
                    throw new InvalidDataException($"normalizer_spec field {field} ({(field == 1 ? "name" : "normalization_rule_tsv")}) is not valid UTF-8");
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    private void ParseTrainerSpec(ArraySegment<byte> bytes)
    {
        var reader = new Reader(bytes.Array!, bytes.Offset, bytes.Offset + bytes.Count);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            switch (field)
            {
                case 40 when wire == 0: UnkId = Int32Field(reader.Varint(), "unk_id"); break;
                case 41 when wire == 0: BosId = Int32Field(reader.Varint(), "bos_id"); break;
                case 42 when wire == 0: EosId = Int32Field(reader.Varint(), "eos_id"); break;
                case 43 when wire == 0: PadId = Int32Field(reader.Varint(), "pad_id"); break;
                case 46 when wire == 2: BosPiece = StrictUtf8.GetString(reader.Bytes()); break;
                case 47 when wire == 2: EosPiece = StrictUtf8.GetString(reader.Bytes()); break;
                case 48 when wire == 2: PadPiece = StrictUtf8.GetString(reader.Bytes()); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    /// <summary>A protobuf int32: negative values are sign-extended to 64 bits; anything outside the int32 range is an error, not truncated.</summary>
    private static int Int32Field(ulong raw, string name)
    {
        var value = unchecked((long)raw);
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new InvalidDataException($"trainer_spec.{name} = {raw} is not a 32-bit value");
    }

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    /// <summary>A protobuf wire-format reader over a byte range.</summary>
    private sealed class Reader(byte[] data, int position, int end)
    {
        private int position = position;

        public int Position => position;

        public bool AtEnd => position >= end;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Next();
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }

            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public ArraySegment<byte> Bytes()
        {
            var length = checked((int)Varint());
            if (length < 0 || position + length > end)
            {
                throw new InvalidDataException("a length-delimited field runs past the end");
            }

            var segment = new ArraySegment<byte>(data, position, length);
            position += length;
            return segment;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire}");
            }
        }

        private byte Next()
        {
            if (position >= end)
            {
                throw new InvalidDataException("unexpected end of data");
            }

            return data[position++];
        }

        private void Advance(int count)
        {
            if (position + count > end)
            {
                throw new InvalidDataException("unexpected end of data");
            }

            position += count;
        }
    }
}
