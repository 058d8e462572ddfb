# core/store
