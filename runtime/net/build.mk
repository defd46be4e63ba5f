# runtime/net/build.mk: the network plumbing library (libnet.a: netns, tap,
# u32 + mirred redirect, state JSON), its unit tests and its test tool
# build/bin/net-plumb (tests/helpers/net_plumb.c, not installed).
NET_SRC  := $(wildcard runtime/net/*.c)
NET_OBJ  := $(NET_SRC:%.c=$(OBJ)/%.o)
NET_AOBJ := $(NET_SRC:%.c=$(ASAN)/obj/%.o)
NET_LIB  := $(BUILD)/libnet.a
NET_ALIB := $(ASAN)/libnet.a
NET_LDLIBS := -lcjson

$(NET_LIB): $(NET_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(NET_ALIB): $(NET_AOBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(OBJ)/tests/helpers/net_plumb.o $(OBJ)/tests/unit/test_net_%.o $(ASAN)/obj/tests/unit/test_net_%.o: CFLAGS += -Iruntime/net -Itests/guests/lib

TEST_DEPS += $(BIN)/net-plumb
$(BIN)/net-plumb: $(OBJ)/tests/helpers/net_plumb.o $(NET_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS)

NET_UNIT := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_net_*.c))
UNIT_TESTS += $(NET_UNIT)

$(BIN)/test_net_%: $(OBJ)/tests/unit/test_net_%.o $(NET_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS) -lcmocka

$(ASAN)/bin/test_net_%: $(ASAN)/obj/tests/unit/test_net_%.o $(NET_ALIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS) -lcmocka
.SECONDARY: $(NET_UNIT:$(BIN)/%=$(OBJ)/tests/unit/%.o) $(NET_UNIT:$(BIN)/%=$(ASAN)/obj/tests/unit/%.o)

# The sanitized test tool: NET_PLUMB=build/asan/bin/net-plumb tests/integration/net_plumb.sh
$(ASAN)/bin/net-plumb: $(ASAN)/obj/tests/helpers/net_plumb.o $(NET_ALIB) $(COMMON_ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(NET_LDLIBS)
$(ASAN)/obj/tests/helpers/net_plumb.o: CFLAGS += -Iruntime/net
