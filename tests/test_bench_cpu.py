"""bench_cpu's parsing and bookkeeping (not its timings, which are measurements, not tests). No TensorFlow."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import bench_cpu  # noqa: E402

# Abridged from this course's AVX-512 machine: oneDNN v3.7.3 inside TensorFlow 2.21, without and with the cap.
VERBOSE_NATIVE = """\
onednn_verbose,v1,info,oneDNN v3.7.3 (commit N/A)
onednn_verbose,v1,info,cpu,runtime:threadpool,nthr:2
onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with float16, Intel DL Boost and bfloat16 support and Intel AMX \
with bfloat16 and 8-bit integer support
onednn_verbose,v1,primitive,info,template:operation,engine,primitive,implementation,prop_kind,memory_descriptors
onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32::blocked:cdba::f0 dst:f32::blocked:Adcb16a::f0,,,\
128x1x2x2,0.0039
onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,src:f32::blocked:acdb::f0,\
attr-scratchpad:user,alg:convolution_direct,mb8_ic1oc128_ih28oh27kh2sh1dh0ph0_iw28ow27kw2sw1dw0pw0,8.94
onednn_verbose,v1,primitive,exec,cpu,gemm_api,,undef,src_f32::blocked:ab:f0,,,64x64:64x64,37.98
"""
VERBOSE_AVX2 = """\
onednn_verbose,v1,info,cpu,isa:Intel AVX2
some other line a library printed
onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx2,forward_training,src:f32::blocked:acdb::f0,,\
alg:convolution_direct,mb8_ic1oc128_ih28oh27kh2sh1dh0ph0_iw28ow27kw2sw1dw0pw0,4.28
onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx2,forward_training,src:f32::blocked:acdb::f0,,,,4.1
"""
CPUINFO = """\
processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni amx_tile
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu
"""


def test_isa_flags_come_from_the_first_flags_line_by_whole_word():
    flags = bench_cpu.parse_isa_flags(CPUINFO)
    assert set(flags) == set(bench_cpu.ISA_FLAGS)
    assert flags["avx2"] and flags["fma"] and flags["avx512f"] and flags["avx512_vnni"] and flags["amx_tile"]
    assert not flags["avx512_bf16"] and not flags["avx_vnni"] and not flags["amx_int8"]
    assert bench_cpu.parse_isa_flags("flags : avx512f\n", ("avx", "avx512f")) == {"avx": False, "avx512f": True}


def test_isa_flags_without_a_flags_line_are_all_absent():
    assert bench_cpu.parse_isa_flags("") == dict.fromkeys(bench_cpu.ISA_FLAGS, False)
    assert bench_cpu.parse_isa_flags("processor : 0\nFeatures : fp asimd\n", ("avx2",)) == {"avx2": False}


def test_tensorflow_onednn_default_follows_its_linux_policy():
    avx2_laptop = bench_cpu.parse_isa_flags("flags : sse4_2 avx avx2 fma\n")
    assert not bench_cpu.tf_onednn_default(avx2_laptop)
    assert bench_cpu.tf_onednn_default(bench_cpu.parse_isa_flags(CPUINFO))
    assert bench_cpu.tf_onednn_default({"avx_vnni": True})  # Alder Lake and newer clients: AVX2 + AVX_VNNI


def test_onednn_verbose_gives_the_isa_and_the_kernels():
    native = bench_cpu.parse_onednn_verbose(VERBOSE_NATIVE)
    assert native["isa"].startswith("Intel AVX-512 with float16, Intel DL Boost")  # commas kept
    assert native["kernels"] == ["jit:uni", "brg_conv_fwd:avx512_core"]  # gemm_api's empty name dropped
    assert bench_cpu.kernel_isas(native["kernels"]) == ["avx512_core"]
    capped = bench_cpu.parse_onednn_verbose(VERBOSE_AVX2)
    assert capped == {"isa": "Intel AVX2", "kernels": ["brg_conv_fwd:avx2"]}
    assert bench_cpu.kernel_isas(capped["kernels"]) == ["avx2"]


def test_onednn_verbose_old_format_and_silence():
    old = "dnnl_verbose,info,cpu,isa:Intel AVX2\ndnnl_verbose,exec,cpu,convolution,jit:avx2,forward_training,x,1.0\n"
    assert bench_cpu.parse_onednn_verbose(old) == {"isa": "Intel AVX2", "kernels": ["jit:avx2"]}
    assert bench_cpu.parse_onednn_verbose("no verbose output\n") == {"isa": None, "kernels": []}


def test_class_env_sets_and_removes_the_variables():
    base = {"PATH": "/bin", "ONEDNN_MAX_CPU_ISA": "SSE41", "TF_ENABLE_ONEDNN_OPTS": "1"}
    native = bench_cpu.class_env("native", base)
    assert "ONEDNN_MAX_CPU_ISA" not in native and "TF_ENABLE_ONEDNN_OPTS" not in native and native["PATH"] == "/bin"
    avx2 = bench_cpu.class_env("avx2", base)
    assert avx2["ONEDNN_MAX_CPU_ISA"] == "AVX2" and avx2["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert bench_cpu.class_env("avx2-onednn", {})["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert base["ONEDNN_MAX_CPU_ISA"] == "SSE41"  # the caller's dict is not modified
    assert set(bench_cpu.SELECTIONS["both"]) == {"native", "avx2"}
