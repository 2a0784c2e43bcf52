// The declared parameters of model files (a Hugging Face config.json, or one
// as the mamba_ssm package writes it; src/model/model_spec.cpp) and of their
// quantization_config (src/model/quantization_config.cpp).
#include <string>
#include <utility>
#include <vector>

#include "core/params.hpp"

namespace jalapeno {

namespace {

ParamDecl ignored(const char* path, const char* description) {
  return {path, ParamType::kIgnored, std::nullopt, std::nullopt, description};
}

// A compressed-tensors quantisation scheme (weights, input activations or the
// KV cache): the same keys under each prefix.
void add_scheme(std::vector<ParamDecl>& out, const std::string& prefix, const std::string& what) {
  const auto at = [&prefix](const char* key) { return prefix + "." + key; };
  out.push_back({at("num_bits"), ParamType::kInteger, std::nullopt, std::nullopt,
                 "Bits per element of " + what + ": 4, 8 or 16."});
  out.push_back({at("type"), ParamType::kString, std::nullopt, std::string("int"),
                 "Element type of " + what +
                     ": int or float (float 4-bit with group 32 is "
                     "mxfp4, otherwise nvfp4)."});
  out.push_back({at("group_size"), ParamType::kInteger, std::nullopt, std::string("(none)"),
                 "Elements per scale of " + what + "; absent: the format's own block."});
  out.push_back({at("strategy"), ParamType::kString, std::nullopt, std::string("tensor"),
                 "Scale granularity (tensor, channel, group, block); only group_size is costed."});
  for (const char* key : {"actorder", "block_structure", "dynamic", "observer", "observer_kwargs",
                          "symmetric", "zp_dtype", "scale_dtype"}) {
    out.push_back({at(key), ParamType::kIgnored, std::nullopt, std::nullopt,
                   "Calibration or serialisation setting; not used."});
  }
}

}  // namespace

const ParamKind& model_param_kind() {
  static const ParamKind kind{
      "model",
      "A model: a Hugging Face config.json (or a mamba_ssm one), read for its layers, widths, "
      "experts and precision.",
      {
          // The family and the wrapper of multimodal configs.
          {"model_type", ParamType::kString, std::nullopt, std::nullopt,
           "Architecture family: llama, mistral, qwen2, qwen3, mixtral, qwen3_moe, deepseek_v2, "
           "deepseek_v3, kimi_k2, gpt_oss, jamba, nemotron_h, qwen3_next, llama4_text, or llama4 "
           "(its text_config is read). Absent with ssm_cfg: a mamba_ssm config."},
          {"text_config", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "llama4 only: the language model's config, read with these same keys (the vision "
           "encoder is not costed).",
           "model"},
          ignored("vision_config", "llama4 vision encoder; not costed."),
          ignored("boi_token_index", "llama4 image token id; not used."),
          ignored("eoi_token_index", "llama4 image token id; not used."),
          ignored("image_token_index", "llama4 image token id; not used."),

          // Every transformer.
          {"hidden_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Width of the residual stream (the model dimension)."},
          {"intermediate_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Width of the dense FFN; for mixtral, gpt_oss, jamba and llama4_text, that of each "
           "routed expert."},
          {"num_attention_heads", ParamType::kInteger, std::nullopt, std::nullopt,
           "Query heads per attention layer."},
          {"num_key_value_heads", ParamType::kInteger, std::nullopt,
           std::string("(num_attention_heads)"),
           "Key/value heads (grouped-query attention); must divide num_attention_heads."},
          {"head_dim", ParamType::kInteger, std::nullopt,
           std::string("(hidden_size / num_attention_heads)"),
           "Width of one attention head; not used by MLA families (qk_nope_head_dim + "
           "qk_rope_head_dim)."},
          {"num_hidden_layers", ParamType::kInteger, std::nullopt, std::nullopt,
           "Decoder layers (overridden by --layers)."},
          {"vocab_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Tokens in the vocabulary: the embedding's and lm_head's rows."},
          {"max_position_embeddings", ParamType::kInteger, std::nullopt, std::string("0"),
           "Longest context the model supports; 0: unknown. A sliding window or chunk at least "
           "this long is treated as full attention."},
          {"tie_word_embeddings", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Whether lm_head shares the embedding's weights (not counted twice)."},
          {"attention_bias", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Biases on the q, k, v and output projections (qwen2 always biases q, k, v)."},
          {"torch_dtype", ParamType::kString, std::nullopt, std::string("bfloat16"),
           "The checkpoint's dtype: bfloat16, float16 or float32 (a quantised checkpoint says "
           "so in quantization_config)."},
          {"quantization_config", ParamType::kMapping, std::nullopt, std::string("(none)"),
           "How the checkpoint is quantised; absent: every weight in torch_dtype.", "quantization"},
          {"hidden_act", ParamType::kString, std::nullopt, std::string("silu"),
           "FFN activation; only silu (a gated SwiGLU FFN) is modelled."},

          // Sliding-window attention.
          {"sliding_window", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "Tokens a windowed layer attends to; absent or null: full attention everywhere."},
          {"use_sliding_window", ParamType::kBoolean, std::nullopt,
           std::string("(false for qwen model types, else true)"),
           "Whether sliding_window applies at all."},
          {"max_window_layers", ParamType::kInteger, std::nullopt, std::string("0"),
           "Qwen: layers below this index attend fully, the rest through the window (when "
           "layer_types is absent)."},
          {"layer_types", ParamType::kList, std::nullopt, std::string("(every layer windowed)"),
           "Per layer, 'sliding_attention' or 'full_attention' (one per num_hidden_layers); "
           "read only with a window."},

          // Multi-head latent attention (deepseek_v2, deepseek_v3, kimi_k2).
          {"q_lora_rank", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "MLA: rank of the query's low-rank projection; absent or null: queries are projected "
           "straight from the hidden state."},
          {"kv_lora_rank", ParamType::kInteger, std::nullopt, std::nullopt,
           "MLA: width of the compressed key/value latent (what the KV cache holds)."},
          {"qk_nope_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "MLA: per-head query/key width without rotary embedding."},
          {"qk_rope_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "MLA: per-head query/key width with rotary embedding (the key part shared by heads)."},
          {"v_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "MLA: per-head value width."},

          // Experts.
          {"num_experts_per_tok", ParamType::kInteger, std::nullopt, std::nullopt,
           "MoE: routed experts each token uses (top-k); at most the routed experts."},
          {"num_local_experts", ParamType::kInteger, std::nullopt, std::nullopt,
           "Routed experts per MoE layer (mixtral, gpt_oss, llama4_text)."},
          {"num_experts", ParamType::kInteger, std::nullopt, std::nullopt,
           "Routed experts per MoE layer (qwen3_moe, qwen3_next, jamba)."},
          {"n_routed_experts", ParamType::kInteger, std::nullopt, std::nullopt,
           "Routed experts per MoE layer (deepseek_v2, deepseek_v3, kimi_k2)."},
          {"moe_intermediate_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Width of each routed (and DeepSeek shared) expert (deepseek, qwen3_moe, qwen3_next)."},
          {"n_shared_experts", ParamType::kInteger, std::nullopt, std::string("0"),
           "DeepSeek: experts of moe_intermediate_size every token runs, beside the routed ones."},
          {"first_k_dense_replace", ParamType::kInteger, std::nullopt, std::string("(0)"),
           "DeepSeek: the first layers that keep a dense FFN instead of experts."},
          {"moe_layer_freq", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "DeepSeek: experts in every this-many-th layer from first_k_dense_replace on."},
          {"n_group", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "DeepSeek: expert groups for group-limited routing; must divide n_routed_experts. "
           "Bounds how many expert-parallel ranks a token reaches."},
          {"topk_group", ParamType::kInteger, std::nullopt, std::string("(n_group)"),
           "DeepSeek: groups a token's experts may come from; read with n_group."},
          {"num_nextn_predict_layers", ParamType::kInteger, std::nullopt, std::string("0"),
           "DeepSeek: multi-token-prediction modules (counted in parameters; at most 16)."},
          {"shared_expert_intermediate_size", ParamType::kInteger, std::nullopt,
           std::string("(none)"),
           "Qwen: width of one shared expert behind a sigmoid gate; absent: no shared expert."},
          {"decoder_sparse_step", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "Qwen: experts in every this-many-th layer, the others dense."},
          {"mlp_only_layers", ParamType::kList, std::nullopt, std::string("(none)"),
           "Qwen: indices of layers with a dense FFN instead of experts."},
          {"expert_layer_period", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: experts in layer i when i % expert_layer_period == expert_layer_offset."},
          {"expert_layer_offset", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: the first layer with experts; below expert_layer_period."},
          {"intermediate_size_mlp", ParamType::kInteger, std::nullopt, std::nullopt,
           "llama4_text: width of the dense FFN of the layers without experts (intermediate_size "
           "is an expert's, and the shared expert's)."},
          {"moe_layers", ParamType::kList, std::nullopt,
           std::string("(every interleave_moe_layer_step-th layer)"),
           "llama4_text: indices of the layers with experts."},
          {"interleave_moe_layer_step", ParamType::kInteger, std::nullopt, std::string("(1)"),
           "llama4_text: experts in every this-many-th layer; not used with moe_layers."},
          {"no_rope_layers", ParamType::kList, std::nullopt,
           std::string("(every no_rope_layer_interval-th layer without RoPE)"),
           "llama4_text: per layer, 1 with rotary embedding (chunked attention), 0 without "
           "(global attention); one per num_hidden_layers."},
          {"no_rope_layer_interval", ParamType::kInteger, std::nullopt, std::string("(4)"),
           "llama4_text: every this-many-th layer has no RoPE; not used with no_rope_layers."},
          {"attention_chunk_size", ParamType::kInteger, std::nullopt, std::string("(none)"),
           "llama4_text: the RoPE layers attend within chunks of this many tokens; absent: full "
           "attention."},

          // Hybrids: Jamba (Mamba-1 layers).
          {"attn_layer_period", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: attention in layer i when i % attn_layer_period == attn_layer_offset, Mamba "
           "elsewhere."},
          {"attn_layer_offset", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: the first attention layer; below attn_layer_period."},
          {"mamba_expand", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: Mamba inner width as a multiple of hidden_size."},
          {"mamba_d_state", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: Mamba state size per channel."},
          {"mamba_d_conv", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: Mamba causal convolution kernel width."},
          {"mamba_dt_rank", ParamType::kInteger, std::nullopt, std::nullopt,
           "Jamba: rank of the time-step projection, or 'auto' (ceil(hidden_size / 16))."},
          {"mamba_conv_bias", ParamType::kBoolean, std::nullopt, std::string("true"),
           "Jamba: whether the convolution has a bias."},
          {"mamba_proj_bias", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Jamba, Nemotron-H: biased Mamba projections; must be false (not modelled)."},

          // Hybrids: Nemotron-H (Mamba-2 layers).
          {"hybrid_override_pattern", ParamType::kString, std::nullopt, std::nullopt,
           "Nemotron-H: one character per layer: 'M' Mamba-2 mixer, '*' attention (no RoPE), "
           "'-' FFN."},
          {"mamba_num_heads", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: Mamba-2 heads."},
          {"mamba_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: width of one Mamba-2 head."},
          {"n_groups", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: Mamba-2 B/C groups; must divide mamba_num_heads."},
          {"ssm_state_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: Mamba-2 state size per group."},
          {"conv_kernel", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: Mamba-2 causal convolution kernel width."},
          {"chunk_size", ParamType::kInteger, std::nullopt, std::nullopt,
           "Nemotron-H: tokens per chunk of Mamba-2's chunked scan in prefill."},
          {"use_conv_bias", ParamType::kBoolean, std::nullopt, std::string("true"),
           "Nemotron-H: whether the convolution has a bias."},
          {"use_bias", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Nemotron-H: biased Mamba projections; must be false (not modelled)."},
          {"attention_head_dim", ParamType::kInteger, std::nullopt, std::string("(head_dim)"),
           "Nemotron-H: width of one attention head."},
          {"mlp_hidden_act", ParamType::kString, std::nullopt, std::string("relu2"),
           "Nemotron-H: FFN activation; only relu2 (an ungated FFN) is modelled."},
          {"mamba_hidden_act", ParamType::kString, std::nullopt, std::string("silu"),
           "Nemotron-H: Mamba activation; only silu is modelled."},
          ignored("expand", "Nemotron-H: implied by mamba_num_heads and mamba_head_dim; not used."),
          ignored("time_step_rank", "Mamba time-step setting; not used."),
          ignored("time_step_min", "Mamba time-step initialisation; not used."),
          ignored("time_step_max", "Mamba time-step initialisation; not used."),
          ignored("time_step_floor", "Mamba time-step initialisation; not used."),
          ignored("time_step_limit", "Mamba time-step clamp; not used."),
          ignored("layer_norm_epsilon", "Norm epsilon; not used."),
          ignored("rescale_prenorm_residual", "Initialisation setting; not used."),
          ignored("residual_in_fp32", "Residual precision setting; not used."),
          ignored("num_logits_to_keep", "Generation setting; not used."),
          ignored("use_mamba_kernels", "Kernel choice; not used."),

          // Hybrids: Qwen3-Next (Gated DeltaNet layers).
          {"full_attention_interval", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: gated full attention in every this-many-th layer, Gated DeltaNet in the "
           "others."},
          {"linear_num_key_heads", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: Gated DeltaNet query/key heads."},
          {"linear_key_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: width of one Gated DeltaNet query/key head."},
          {"linear_num_value_heads", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: Gated DeltaNet value heads; a multiple of linear_num_key_heads."},
          {"linear_value_head_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: width of one Gated DeltaNet value head."},
          {"linear_conv_kernel_dim", ParamType::kInteger, std::nullopt, std::nullopt,
           "Qwen3-Next: Gated DeltaNet causal convolution kernel width."},
          ignored("partial_rotary_factor", "Share of each head with RoPE; a small op, not used."),

          // Read and not used: routing, Llama 4 and gpt-oss details.
          ignored("router_aux_loss_coef", "Training loss setting; not used."),
          ignored("output_router_logits", "Training output setting; not used."),
          ignored("router_jitter_noise", "Training noise setting; not used."),
          ignored("norm_topk_prob", "Router weight normalisation; not used."),
          ignored("topk_method", "DeepSeek routing method; costed as uniform top-k."),
          ignored("scoring_func", "DeepSeek router scoring; costed as uniform top-k."),
          ignored("routed_scaling_factor", "DeepSeek router scale; not used."),
          ignored("aux_loss_alpha", "Training loss setting; not used."),
          ignored("seq_aux", "Training loss setting; not used."),
          ignored("ep_size", "Checkpoint's expert-parallel size; the plan sets its own."),
          ignored("experts_per_token", "gpt-oss: repeats num_experts_per_tok; not used."),
          ignored("swiglu_limit", "gpt-oss activation clamp; not used."),
          ignored("initial_context_length", "gpt-oss pre-extension context; not used."),
          ignored("use_qk_norm", "llama4: weightless L2 norm of q and k; a small op, not used."),
          ignored("attn_temperature_tuning", "llama4 NoPE temperature tuning; not used."),
          ignored("attn_scale", "llama4 NoPE temperature setting; not used."),
          ignored("floor_scale", "llama4 NoPE temperature setting; not used."),
          ignored("for_llm_compressor", "llama4 export setting; not used."),
          ignored("cache_implementation", "Generation cache setting; not used."),

          // Read and not used: the common Hugging Face keys.
          ignored("_name_or_path", "Checkpoint name; not used."),
          ignored("architectures", "Model class names; not used."),
          ignored("attention_dropout", "Training dropout; not used."),
          ignored("bos_token_id", "Tokenizer setting; not used."),
          ignored("eos_token_id", "Tokenizer setting; not used."),
          ignored("pad_token_id", "Tokenizer setting; not used."),
          ignored("initializer_range", "Initialisation setting; not used."),
          ignored("pretraining_tp", "Training setting; not used."),
          ignored("rms_norm_eps", "Norm epsilon; not used."),
          ignored("rope_scaling", "RoPE scaling; changes no cost, not used."),
          ignored("rope_theta", "RoPE base; not used."),
          ignored("transformers_version", "Library version; not used."),
          ignored("use_cache", "Generation setting; not used."),
          ignored("mlp_bias", "FFN biases; not counted."),
          ignored("auto_map", "Custom code classes; not used."),
          ignored("use_mrope", "Multimodal RoPE setting; not used."),
          ignored("rope_type", "RoPE variant; not used."),
          ignored("tokenizer_class", "Tokenizer setting; not used."),
          ignored("model_name", "Checkpoint name; not used."),
          ignored("bias", "Bias setting; not counted."),
          ignored("hidden_dropout", "Training dropout; not used."),
          ignored("resid_pdrop", "Training dropout; not used."),
          ignored("embd_pdrop", "Training dropout; not used."),

          // A mamba_ssm config (no model_type; d_model, n_layer, ssm_cfg).
          {"d_model", ParamType::kInteger, std::nullopt, std::nullopt,
           "mamba_ssm: width of the residual stream."},
          {"n_layer", ParamType::kInteger, std::nullopt, std::nullopt, "mamba_ssm: layers."},
          {"pad_vocab_size_multiple", ParamType::kInteger, std::nullopt, std::nullopt,
           "mamba_ssm: the embedding's rows are vocab_size rounded up to a multiple of this."},
          {"d_intermediate", ParamType::kInteger, std::nullopt, std::nullopt,
           "mamba_ssm: width of a gated FFN after each mixer; 0: none."},
          {"attn_layer_idx", ParamType::kList, std::nullopt, std::string("(none)"),
           "mamba_ssm: attention layers; must be empty (use the Hugging Face config for "
           "hybrids)."},
          ignored("attn_cfg", "mamba_ssm attention settings; not used."),
          {"rms_norm", ParamType::kBoolean, std::nullopt, std::string("true"),
           "mamba_ssm: RMSNorm; must be true."},
          {"tie_embeddings", ParamType::kBoolean, std::nullopt, std::string("true"),
           "mamba_ssm: whether lm_head shares the embedding's weights."},
          ignored("fused_add_norm", "mamba_ssm kernel setting; not used."),
          {"ssm_cfg", ParamType::kMapping, std::nullopt,
           std::string("(none: a Hugging Face config)"),
           "mamba_ssm: the mixer's settings; with no model_type, marks a mamba_ssm config."},
          {"ssm_cfg.layer", ParamType::kString, std::nullopt, std::string("Mamba1"),
           "Mixer: Mamba1 or Mamba2."},
          {"ssm_cfg.d_state", ParamType::kInteger, std::nullopt,
           std::string("(128 for Mamba2, 16 for Mamba1)"), "State size per channel or group."},
          {"ssm_cfg.d_conv", ParamType::kInteger, std::nullopt, std::string("4"),
           "Causal convolution kernel width."},
          {"ssm_cfg.expand", ParamType::kInteger, std::nullopt, std::string("2"),
           "Inner width as a multiple of d_model."},
          {"ssm_cfg.conv_bias", ParamType::kBoolean, std::nullopt, std::string("true"),
           "Whether the convolution has a bias."},
          {"ssm_cfg.bias", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Biased projections; must be false (not modelled)."},
          {"ssm_cfg.headdim", ParamType::kInteger, std::nullopt, std::string("64"),
           "Mamba2: width of one head; must divide the inner width."},
          {"ssm_cfg.ngroups", ParamType::kInteger, std::nullopt, std::string("1"),
           "Mamba2: B/C groups."},
          {"ssm_cfg.chunk_size", ParamType::kInteger, std::nullopt, std::string("256"),
           "Mamba2: tokens per chunk of the chunked scan in prefill."},
          {"ssm_cfg.rmsnorm", ParamType::kBoolean, std::nullopt, std::string("true"),
           "Mamba2: the gated RMSNorm over the output; must be true."},
          {"ssm_cfg.norm_before_gate", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Mamba2: norm before the gate; must be false."},
          {"ssm_cfg.D_has_hdim", ParamType::kBoolean, std::nullopt, std::string("false"),
           "Mamba2: D per head element; must be false."},
          {"ssm_cfg.dt_rank", ParamType::kInteger, std::nullopt,
           std::string("(ceil(d_model / 16))"),
           "Mamba1: rank of the time-step projection, or 'auto' (the default)."},
          ignored("ssm_cfg.dt_min", "Time-step initialisation; not used."),
          ignored("ssm_cfg.dt_max", "Time-step initialisation; not used."),
          ignored("ssm_cfg.dt_init_floor", "Time-step initialisation; not used."),
          ignored("ssm_cfg.dt_limit", "Time-step clamp; not used."),
          ignored("ssm_cfg.A_init_range", "Initialisation setting; not used."),
          ignored("ssm_cfg.learnable_init_states", "Initial state setting; not used."),
          ignored("ssm_cfg.activation", "Activation (silu); not used."),
          ignored("ssm_cfg.use_mem_eff_path", "Kernel choice; not used."),
          ignored("ssm_cfg.dt_scale", "Time-step initialisation; not used."),
          ignored("ssm_cfg.dt_init", "Time-step initialisation; not used."),
      }};
  return kind;
}

const ParamKind& quantization_param_kind() {
  static const ParamKind kind = [] {
    std::vector<ParamDecl> p = {
        {"quant_method", ParamType::kString, std::nullopt, std::nullopt,
         "Quantisation method: fp8, compressed-tensors, modelopt, mxfp4, awq or gptq (an "
         "unknown one is an error, not costed as bf16)."},

        // fp8 (Hugging Face FineGrainedFP8).
        {"fmt", ParamType::kString, std::nullopt, std::string("e4m3"),
         "fp8: element format of weights and activations, e4m3 or e5m2."},
        {"activation_scheme", ParamType::kString, std::nullopt, std::string("dynamic"),
         "fp8: activation scales, dynamic or static."},
        {"weight_block_size", ParamType::kList, std::nullopt, std::string("(none)"),
         "fp8: the two sides of a weight block sharing one scale, such as [128, 128]; absent: "
         "the format's default."},
        {"modules_to_not_convert", ParamType::kList, std::nullopt, std::string("(none)"),
         "mxfp4: module name patterns kept in torch_dtype; naming self_attn leaves only the "
         "experts in mxfp4. Read and not used by fp8, awq and gptq."},
        ignored("ignored_layers", "fp8: modules left unquantised; not used."),

        // compressed-tensors.
        {"config_groups", ParamType::kNames, std::nullopt, std::nullopt,
         "compressed-tensors: quantisation schemes by group name; every group must agree. Read "
         "and not used by modelopt."},
        {"config_groups.*", ParamType::kMapping, std::nullopt, std::nullopt,
         "One group's schemes."},
        {"config_groups.*.weights", ParamType::kMapping, std::nullopt, std::nullopt,
         "The group's weight scheme."},
    };
    add_scheme(p, "config_groups.*.weights", "the weights");
    p.push_back({"config_groups.*.input_activations", ParamType::kMapping, std::nullopt,
                 std::string("(none)"),
                 "The group's activation scheme; absent: weight-only (activations in "
                 "torch_dtype)."});
    add_scheme(p, "config_groups.*.input_activations", "the activations");
    p.push_back(ignored("config_groups.*.output_activations", "Output scheme; not used."));
    p.push_back(ignored("config_groups.*.targets",
                        "Module classes the group applies to; not "
                        "used."));
    p.push_back(ignored("config_groups.*.format", "Packing format; not used."));
    p.push_back({"kv_cache_scheme", ParamType::kMapping, std::nullopt, std::string("(none)"),
                 "compressed-tensors: the KV cache's scheme; absent: torch_dtype. Read and not "
                 "used by modelopt."});
    add_scheme(p, "kv_cache_scheme", "the KV cache");
    for (const char* key : {"format", "global_compression_ratio", "ignore", "quantization_status",
                            "sparsity_config", "transform_config", "version"}) {
      p.push_back(ignored(key, "Serialisation or module list setting; not used."));
    }

    // modelopt (NVIDIA TensorRT Model Optimizer).
    p.push_back({"quant_algo", ParamType::kString, std::nullopt, std::nullopt,
                 "modelopt: FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4, W4A8_AWQ or W4A16_AWQ."});
    p.push_back({"group_size", ParamType::kInteger, std::nullopt,
                 std::string("(128 for awq and gptq; none for modelopt)"),
                 "modelopt (int4 weights only), awq, gptq: elements per weight scale; -1 (awq, "
                 "gptq): per channel."});
    p.push_back({"kv_cache_quant_algo", ParamType::kString, std::nullopt, std::string("(none)"),
                 "modelopt: the KV cache's format, FP8; absent: torch_dtype."});
    for (const char* key : {"exclude_modules", "producer", "quantized_layers"}) {
      p.push_back(ignored(key, "modelopt module list or producer; not used."));
    }

    // awq and gptq.
    p.push_back({"bits", ParamType::kInteger, std::nullopt, std::nullopt,
                 "awq, gptq: bits per integer weight, 4 or 8."});
    for (const char* key : {"zero_point",
                            "damp_percent",
                            "desc_act",
                            "is_marlin_format",
                            "model_file_base_name",
                            "model_name_or_path",
                            "static_groups",
                            "sym",
                            "true_sequential",
                            "checkpoint_format",
                            "backend",
                            "use_exllama",
                            "exllama_config",
                            "cache_block_outputs",
                            "batch_size",
                            "block_name_to_quantize",
                            "dataset",
                            "max_input_length",
                            "module_name_preceding_first_block",
                            "pad_token_id",
                            "tokenizer",
                            "use_cuda_fp16",
                            "meta",
                            "lm_head",
                            "quant_method_version"}) {
      p.push_back(ignored(key, "awq, gptq: calibration, kernel or packing setting; not used."));
    }
    return ParamKind{
        "quantization",
        "A checkpoint's quantization_config: the method and the formats of the weights, the "
        "activations and the KV cache.",
        std::move(p)};
  }();
  return kind;
}

}  // namespace jalapeno
