# man/: a man page for every program, made at build time from its own --help by man/mkman.sh
# (section and NAME line from man/whatis). MAN_PAGES is deferred (=): PROGRAMS is complete
# only after every fragment is read, so the Makefile's `man` and `install` rules use it.
man_section = $(word 2,$(shell grep -E '^$(1) [18] ' man/whatis))
man_page = $(if $(call man_section,$(1)),$(BUILD)/man/$(1).$(call man_section,$(1)),$(error program $(1) has no line in man/whatis: add "$(1) SECTION DESCRIPTION"))
MAN_PAGES = $(foreach p,$(PROGRAMS),$(call man_page,$(notdir $(p))))

$(BUILD)/man/%.1: $(BIN)/% man/mkman.sh man/whatis
	@mkdir -p $(@D)
	man/mkman.sh $< man/whatis $(UR_VERSION) > $@.tmp && mv $@.tmp $@

$(BUILD)/man/%.8: $(BIN)/% man/mkman.sh man/whatis
	@mkdir -p $(@D)
	man/mkman.sh $< man/whatis $(UR_VERSION) > $@.tmp && mv $@.tmp $@
